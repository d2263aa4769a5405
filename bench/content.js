// Bench content script (classic script: loads the wasm package by URL). Waits for the driver to
// click a button on bench.html, runs it, and writes the result into <output id="r-CMD">.
//
// Timing: performance.now() ticks 100 us (Chromium content scripts) / 1 ms (Firefox), so only
// whole batches of sequential round trips are timed. Implementations are interleaved batch by
// batch, A B C … C B A per repetition (each implementation runs twice, mirrored), after warm-up.

// Shared with ports.js, which runs after this file in the same content-script world.
const api = globalThis.chrome ?? globalThis.browser;
const show = (key, text) => {
  let element = document.getElementById(`r-${key}`);
  if (!element) {
    element = document.createElement("output");
    element.id = `r-${key}`;
    document.body.append(element);
  }
  element.textContent = text;
};

(async () => {
  let pkg;
  try {
    pkg = await import(api.runtime.getURL("pkg/webext_port_bench.js"));
    await pkg.default();
    await new Promise((resolve, reject) => {
      const port = api.runtime.connect({ name: "ready" });
      port.onMessage.addListener((m) => (m === "ready" ? resolve() : reject(new Error(m))));
      port.onDisconnect.addListener(() => reject(new Error("ready port closed")));
    });
  } catch (e) {
    show("loaded", `error: ${e}`);
    return;
  }
  show("loaded", "yes");

  const codecs = pkg.candidate_names();

  // n sequential round trips; resolves with the batch's milliseconds.
  const batch = (port, n, send, receive) =>
    new Promise((resolve, reject) => {
      let left = n;
      const start = performance.now();
      const onMessage = (message) => {
        try {
          receive(message);
          if (--left === 0) {
            const elapsed = performance.now() - start;
            port.onMessage.removeListener(onMessage);
            resolve(elapsed);
          } else {
            port.postMessage(send());
          }
        } catch (e) {
          port.onMessage.removeListener(onMessage);
          reject(e);
        }
      };
      port.onMessage.addListener(onMessage);
      try {
        port.postMessage(send());
      } catch (e) {
        port.onMessage.removeListener(onMessage);
        reject(e);
      }
    });

  async function bench({ sizes, reps = 7, warmup = 1, only }) {
    const impls = ["raw", ...codecs].filter((i) => !only || only.includes(i));
    const ports = {};
    for (const impl of impls) {
      const index = codecs.indexOf(impl);
      ports[impl] = api.runtime.connect({ name: impl === "raw" ? "raw" : `codec:${index}` });
    }
    const results = [];
    for (const { bytes, round_trips: n } of sizes) {
      const text = pkg.set_payload(bytes);
      const rawObject = JSON.parse(text);
      const run = (impl) => {
        if (impl === "raw") return batch(ports.raw, n, () => rawObject, () => {});
        const index = codecs.indexOf(impl);
        return batch(ports[impl], n, () => pkg.encode(index), (m) => pkg.decode(index, m));
      };
      for (let w = 0; w < warmup; w++) for (const impl of impls) await run(impl);
      const times = Object.fromEntries(impls.map((i) => [i, []]));
      for (let r = 0; r < reps; r++) {
        // Rotate the starting implementation each repetition, then mirror (A B C … C B A).
        const order = impls.map((_, k) => impls[(k + r) % impls.length]);
        const sum = Object.fromEntries(impls.map((i) => [i, 0]));
        for (const impl of order) sum[impl] += await run(impl);
        for (const impl of [...order].reverse()) sum[impl] += await run(impl);
        for (const impl of impls) times[impl].push(sum[impl]);
      }
      results.push({ target_bytes: bytes, json_bytes: text.length, round_trips_per_batch: n, batches_per_rep: 2, times_ms: times });
    }
    for (const port of Object.values(ports)) port.disconnect();
    return { impls, reps, warmup, results };
  }

  // Every edge value with every codec, content -> background (echoed unchanged) -> content.
  async function edges() {
    const port = api.runtime.connect({ name: "edges" });
    const next = () => new Promise((resolve) => {
      const once = (m) => { port.onMessage.removeListener(once); resolve(m); };
      port.onMessage.addListener(once);
    });
    const rows = [];
    for (const name of pkg.edge_names()) {
      const row = { name, expected: pkg.edge_expected(name), outcomes: {} };
      for (let index = 0; index < codecs.length; index++) {
        let message;
        try {
          message = pkg.edge_encode(name, index);
        } catch (e) {
          row.outcomes[codecs[index]] = String(e);
          continue;
        }
        try {
          port.postMessage(message);
        } catch (e) {
          row.outcomes[codecs[index]] = `post_failed:${e.message}`;
          continue;
        }
        // Delivery is asynchronous: listening after a successful post misses nothing.
        row.outcomes[codecs[index]] = pkg.edge_check(name, index, await next());
      }
      rows.push(row);
    }
    port.disconnect();
    return { codecs, rows };
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-cmd]");
    if (!button) return;
    const cmd = button.dataset.cmd;
    if (cmd !== "bench" && cmd !== "edges") return; // ports.js runs the port bench
    document.getElementById(`r-${cmd}`)?.remove();
    try {
      const arg = JSON.parse(button.dataset.arg || "{}");
      const result = cmd === "bench" ? await bench(arg) : await edges(arg);
      show(cmd, JSON.stringify({ user_agent: navigator.userAgent, ...result }));
    } catch (e) {
      show(cmd, `error: ${e && e.stack ? e.stack : e}`);
    }
  });
})();
