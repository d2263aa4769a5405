// Peer background bootstrap: hold external connections while the wasm loads, then hand over.
import init, { start_peer } from "./pkg/webext_port_peer.js";
import { holdConnects } from "./hold.js";

const api = globalThis.chrome ?? globalThis.browser;
const held = holdConnects(api.runtime.onConnectExternal);
init().then(() => start_peer(held));
