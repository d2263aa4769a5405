// Bench background: echoes every message. "raw" and "edges" ports echo the JS value unchanged;
// "codec:<i>" ports decode with codec i and encode again (the wasm in bench/src); "rawcount:N"
// acks after N messages. "wp:…" ports are answered by Rust (bench/src/ports.rs), "eps:…" ports and
// webext-bridge's by the JS peers (bench/peers/background.js, bundled into peers-background.js).
import init, { echo, start_background } from "./pkg/webext_port_bench.js";
// The library's own src/js/codec.js (build.sh copies it), for the raw-copy diagnostic.
import { asciiToString, readAscii } from "./pkg/library-codec.js";
import "./peers-background.js";

const api = globalThis.chrome ?? globalThis.browser;
const ready = init().then(() => start_background());

// Registered synchronously: a connection that wakes the background is never missed.
api.runtime.onConnect.addListener((port) => {
  if (port.name === "ready") {
    ready.then(() => port.postMessage("ready"), (e) => port.postMessage(`error: ${e}`));
  } else if (port.name === "raw" || port.name === "edges" || port.name === "wp:untyped-jsbg:echo") {
    port.onMessage.addListener((message) => port.postMessage(message));
  } else if (port.name === "raw-copy") {
    // The copies a typed echo cannot avoid, without its codec work (ports.js, rawCopyRunner).
    let into = new Uint8Array(1024);
    port.onMessage.addListener((message) => {
      let length = readAscii(message, into);
      if (length < -2) {
        into = new Uint8Array(-3 - length);
        length = readAscii(message, into);
      }
      port.postMessage(length < 0 ? { benchError: "raw-copy: not an ASCII string" } : asciiToString(into.subarray(0, length)));
    });
  } else if (port.name.startsWith("rawcount:")) {
    const total = Number(port.name.slice(9));
    let seen = 0;
    port.onMessage.addListener(() => {
      if (++seen === total) {
        seen = 0;
        port.postMessage("ack");
      }
    });
  } else if (port.name.startsWith("codec:")) {
    const codec = Number(port.name.slice(6));
    port.onMessage.addListener((message) => {
      let reply;
      try {
        reply = echo(codec, message);
      } catch (e) {
        reply = { benchError: String(e) };
      }
      port.postMessage(reply);
    });
  }
});
