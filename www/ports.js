// Extension page (the toolbar button opens it): the MDN example's live ports, drawn by Rust.
import init, { start_ports_page } from "./pkg/webext_port_demo.js";

init().then(start_ports_page, (error) => {
  document.getElementById("status").textContent = `page error: ${error}`;
});
