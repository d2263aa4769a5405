// Background bootstrap (Chromium module service worker, Firefox module event page).
// Only what Rust cannot do: hold connections that arrive while the wasm loads, then hand over.
import init, { start_background } from "./pkg/webext_port_demo.js";
import { holdConnects } from "./hold.js";

const api = globalThis.chrome ?? globalThis.browser;
const held = holdConnects(api.runtime.onConnect);
const heldExternal = holdConnects(api.runtime.onConnectExternal);
const heldClicks = [];
const holdClick = (tab) => heldClicks.push(tab);
api.action.onClicked.addListener(holdClick);

init().then(() => {
  api.action.onClicked.removeListener(holdClick);
  start_background(held, heldExternal, heldClicks);
});
