// Background bootstrap (Chromium module service worker, Firefox module event page): load the
// wasm, then start. Nothing connects to this background, so there is nothing to hold meanwhile.
import init, { start } from "./pkg/native_example_background.js";

init().then(() => start());
