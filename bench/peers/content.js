// The JS peers, as a content script uses them; bundled by esbuild (./build.sh bench) into
// dist-bench/peers-content.js, a classic script that runs before ports.js.
import { ExtensionPortStream } from "extension-port-stream";
import { sendMessage } from "webext-bridge/content-script";

globalThis.benchPeers = { ExtensionPortStream, sendMessage };
