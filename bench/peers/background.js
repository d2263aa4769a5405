// The JS peers' background side; bundled by esbuild (./build.sh bench) into
// dist-bench/peers-background.js, imported statically by background.js (a service worker cannot
// import() later). webext-bridge registers its own onConnect listener when this module loads.
import { ExtensionPortStream } from "extension-port-stream";
import { onMessage } from "webext-bridge/background";

const api = globalThis.chrome ?? globalThis.browser;

// extension-port-stream: "eps:echo" echoes every chunk; "eps:count:N" acks after N.
api.runtime.onConnect.addListener((port) => {
  const [kind, mode, n] = port.name.split(":");
  if (kind !== "eps") return;
  const stream = new ExtensionPortStream(port);
  stream.on("error", () => {}); // "Port disconnected" when the page closes the port
  if (mode === "echo") {
    stream.on("data", (message) => stream.write(message));
  } else {
    const total = Number(n);
    let seen = 0;
    stream.on("data", () => {
      if (++seen === total) {
        seen = 0;
        stream.write("ack");
      }
    });
  }
});

// webext-bridge: every message is a request; "echo" answers with the data, "count" with null.
onMessage("echo", ({ data }) => data);
onMessage("count", () => null);
