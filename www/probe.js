// Extension page: reports what each webext-port entry point does in this context.
import init, { probe_entry_points } from "./pkg/webext_port_demo.js";

const show = (text) => {
  const out = document.createElement("output");
  out.id = "r-context_extension_page";
  out.textContent = text;
  document.body.append(out);
};
init().then(
  () => show(probe_entry_points(true)),
  (error) => show(`page error: ${error}`),
);
