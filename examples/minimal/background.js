// Background bootstrap: webext-port itself holds connections that arrive while the wasm loads.
import init, { start } from "./background/minimal_background.js";

init().then(() => start());
