// Background bootstrap (Chromium module service worker, Firefox module event page). Connections
// that wake the background are held by webext-port itself while the wasm loads.
import init, { start_background } from "./pkg/webext_port_demo.js";
init().then(start_background);
