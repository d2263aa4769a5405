// Hold connections that arrive while the wasm loads (a woken Chromium service worker drops them
// otherwise), then hand them to Rust.
import init, { start } from "./background/minimal_background.js";
import { holdConnects } from "./hold.js";

const held = holdConnects((globalThis.chrome ?? globalThis.browser).runtime.onConnect);
init().then(() => start(held));
