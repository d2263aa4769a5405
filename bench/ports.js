// Port bench content script (classic script; ./build.sh bench). Waits for the driver to click a
// button on bench.html / cold.html, runs it, and writes the result into <output id="r-CMD">.
//
// Timing: performance.now() ticks 100 us in Chromium content scripts and 1 ms in Firefox, so a
// single round trip is never timed alone: a batch is N sequential round trips (or N one-way
// posts and the background's ack), sized to last >= 20 ms, timed as a whole, divided by N.
// Implementations are interleaved batch by batch within each repetition: A B C ... C B A, the
// starting implementation rotating per repetition, after one warm-up batch each.
// `api` and `show` come from content.js, which runs first in the same content-script world.
(async () => {
  let pkg;
  try {
    pkg = await import(api.runtime.getURL("pkg/webext_port_bench.js"));
    await pkg.default();
  } catch (e) {
    show("ports-loaded", `error: ${e}`);
    return;
  }
  show("ports-loaded", "yes");

  const WP = ["untyped", "typed", "batched", "typed-batched"];
  const PEERS = ["extension-port-stream", "webext-bridge"];

  const withTimeout = (promise, ms, what) =>
    Promise.race([
      promise,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms)),
    ]);

  // Resolves with the next message on `port` that passes `accept`.
  const nextMessage = (port) =>
    new Promise((resolve, reject) => {
      const onMessage = (m) => { done(); resolve(m); };
      const onDisconnect = () => { done(); reject(new Error(`port ${port.name} disconnected`)); };
      const done = () => {
        port.onMessage.removeListener(onMessage);
        port.onDisconnect.removeListener(onDisconnect);
      };
      port.onMessage.addListener(onMessage);
      port.onDisconnect.addListener(onDisconnect);
    });

  // Messages per batch of `impl` in case `c`: every batch should last >= 20 ms, so for one-way
  // throughput batched ports post 16x more and webext-bridge (a request and a reply per message)
  // 10x fewer; per-message times and ratios are computed per message.
  const batchSize = (impl, c) =>
    c.kind !== "tp" ? c.n : impl.endsWith("batched") ? c.n * 16 : impl === "webext-bridge" ? c.n / 10 : c.n;

  // One implementation for one case: `unit()` runs one batch; `close()` frees it.
  function makeRunner(impl, c, object, text) {
    const n = batchSize(impl, c);
    if (c.kind === "cpu") return cpuRunner(impl, c, n, object, text);
    if (impl === "raw-copy") return rawCopyRunner(c, n, text);
    if (impl === "raw" || impl === "raw-text" || impl === "raw-bytes" || impl === "raw-wpbg") {
      // raw-text: raw JS posting the typed codec's wire text (a string) instead of the object, so
      // that the browser's own cost of carrying a string is told apart from the library's.
      // raw-bytes (diagnostic, --impls only; Firefox): the same text's UTF-8 bytes in a
      // Uint8Array, which structured clone copies in bulk: what a bytes wire format would cost
      // the browser. Chromium's ports carry JSON, where a Uint8Array arrives as an object.
      // raw-wpbg (diagnostic, --impls only): raw JS here, webext-port untyped in the background.
      if (impl === "raw-text") object = text;
      if (impl === "raw-bytes") {
        if (!/\bFirefox\//.test(navigator.userAgent)) throw new Error("raw-bytes: Firefox only");
        object = new TextEncoder().encode(text);
      }
      if (c.kind === "rt") {
        const port = api.runtime.connect({ name: impl === "raw-wpbg" ? "wp:untyped:echo" : "raw" });
        return {
          unit: () => new Promise((resolve, reject) => {
            let left = n;
            const onMessage = () => {
              if (--left === 0) { port.onMessage.removeListener(onMessage); resolve(); }
              else port.postMessage(object);
            };
            port.onMessage.addListener(onMessage);
            try { port.postMessage(object); } catch (e) { reject(e); }
          }),
          close: () => port.disconnect(),
        };
      }
      const port = api.runtime.connect({ name: `rawcount:${n}` });
      return {
        unit: () => {
          const ack = nextMessage(port);
          const start = performance.now();
          for (let i = 0; i < n; i++) port.postMessage(object);
          const posting = performance.now() - start;
          // post_*: only the posts are timed; the ack still ends the batch, so the next batch
          // never overlaps the background's work on this one.
          return c.kind === "post" ? ack.then(() => ({ ms: posting })) : ack;
        },
        close: () => port.disconnect(),
      };
    }
    // untyped-jsbg (diagnostic, --impls only): webext-port untyped here, raw JS in the background.
    if (WP.includes(impl) || impl === "untyped-jsbg") {
      const client = new pkg.Client(impl, c.kind === "rt" ? "echo" : `count:${n}`);
      // A batched port's envelope should carry distinct objects (one object referenced 1024
      // times is cloned once by Firefox): copies made here, outside the timed batches.
      const copies = impl === "batched" && c.kind === "tp" ? 1024 : 1;
      client.set_payload(Array.from({ length: copies }, (_, i) => (i === 0 ? object : JSON.parse(text))));
      const oneWay = () => {
        const start = performance.now();
        // The posts run synchronously inside one_way, before it returns its promise of the ack.
        const ack = client.one_way(n);
        const posting = performance.now() - start;
        return c.kind === "post" ? ack.then(() => ({ ms: posting })) : ack;
      };
      return {
        unit: () => (c.kind === "rt" ? client.round_trips(n) : oneWay()),
        close: () => { client.close(); client.free(); },
      };
    }
    const peers = globalThis.benchPeers;
    if (!peers) throw new Error("the peers bundle (peers-content.js) did not load");
    if (impl === "extension-port-stream") {
      const port = api.runtime.connect({ name: c.kind === "rt" ? "eps:echo" : `eps:count:${n}` });
      const stream = new peers.ExtensionPortStream(port);
      let onData = () => {};
      stream.on("data", (m) => onData(m));
      stream.on("error", () => {});
      return {
        unit: () => new Promise((resolve, reject) => {
          if (c.kind === "rt") {
            let left = n;
            onData = () => { if (--left === 0) resolve(); else stream.write(object); };
            stream.write(object, (e) => e && reject(e));
          } else {
            onData = () => resolve();
            for (let i = 0; i < n; i++) stream.write(object, (e) => e && reject(e));
          }
        }),
        close: () => port.disconnect(),
      };
    }
    if (impl === "webext-bridge") {
      return {
        unit: async () => {
          if (c.kind === "rt") {
            for (let i = 0; i < n; i++) await peers.sendMessage("echo", object, "background");
          } else {
            // Every webext-bridge message is a request: the N replies are its ack.
            const all = [];
            for (let i = 0; i < n; i++) all.push(peers.sendMessage("count", object, "background"));
            await Promise.all(all);
          }
        },
        close: () => {},
      };
    }
    throw new Error(`unknown implementation ${impl}`);
  }

  // cpu_*: the library's own work per message, on a fake port in this page (no browser work):
  // `post` times n posts, `receive` n messages handed to the port's onMessage listener (the
  // object for raw JS and untyped, the JSON text the typed codec sends for typed).
  // raw-copy (diagnostic, --impls only; round trips): raw JS doing only the copies across the
  // wasm boundary that a typed layer whose wire format is a string cannot avoid, with the
  // library's own functions (src/js/codec.js): before each post, the wire text's bytes become a
  // JS string (asciiToString: TextDecoder in Chromium, a one-byte string by fromCharCode in
  // Firefox); after each receive, the string's bytes are written into a buffer (readAscii). The
  // background does the same (background.js). No codec work: the floor under `typed`. The
  // functions are globals of this content-script world (build.sh makes library-codec-content.js,
  // a classic script, from src/js/codec.js).
  function rawCopyRunner(c, n, text) {
    if (c.kind !== "rt") throw new Error("raw-copy: round trips only");
    // Copied into an array of this world: in a Firefox content script, TextEncoder is the page's,
    // and String.fromCharCode over the page's Uint8Array (a cross-compartment wrapper) made the
    // 100 KiB round trip ~10x raw JS (measured, 2026-12-04), which is not what the library pays
    // (its bytes are views of its own wasm memory).
    const bytes = Uint8Array.from(new TextEncoder().encode(text));
    const into = new Uint8Array(bytes.length);
    const port = api.runtime.connect({ name: "raw-copy" });
    return {
      unit: () => new Promise((resolve, reject) => {
        let left = n;
        const onMessage = (message) => {
          try {
            if (readAscii(message, into) !== bytes.length) throw new Error("raw-copy: the echo is not the text");
            if (--left === 0) {
              port.onMessage.removeListener(onMessage);
              resolve();
            } else port.postMessage(asciiToString(bytes));
          } catch (e) {
            port.onMessage.removeListener(onMessage);
            reject(e);
          }
        };
        port.onMessage.addListener(onMessage);
        try { port.postMessage(asciiToString(bytes)); } catch (e) { reject(e); }
      }),
      close: () => port.disconnect(),
    };
  }

  function cpuRunner(impl, c, n, object, text) {
    let deliver = null;
    const fake = {
      name: "cpu",
      postMessage() {},
      disconnect() {},
      onMessage: { addListener: (f) => { deliver = f; }, removeListener() {}, hasListener: () => true },
      onDisconnect: { addListener() {}, removeListener() {}, hasListener: () => true },
    };
    let cpu = null;
    let count = 0;
    if (impl === "raw") fake.onMessage.addListener(() => { count++; });
    else cpu = new pkg.Cpu(fake, impl, object);
    const message = impl === "typed" || impl === "serde_json" ? text : object;
    return {
      unit: () => {
        const before = cpu ? cpu.received() : count;
        const start = performance.now();
        if (c.phase === "post") {
          if (cpu) cpu.post(n);
          else for (let i = 0; i < n; i++) fake.postMessage(object);
        } else {
          for (let i = 0; i < n; i++) deliver(message);
        }
        const ms = performance.now() - start;
        const got = (cpu ? cpu.received() : count) - before;
        if (c.phase === "receive" && got !== n) throw new Error(`${impl} received ${got} of ${n}`);
        return { ms };
      },
      close: () => cpu?.free(),
    };
  }

  // A batch's milliseconds: the whole unit, or what the unit measured itself (post_*).
  async function time(runner, what) {
    const start = performance.now();
    const measured = await withTimeout(Promise.resolve(runner.unit()), 60000, what);
    return typeof measured?.ms === "number" ? measured.ms : performance.now() - start;
  }

  async function ports({ cases, impls, reps = 8, warmup = 1 }) {
    const out = [];
    const unsupported = {};
    for (const c of cases) {
      const text = pkg.set_message(c.shape, c.bytes);
      const object = JSON.parse(text);
      const runners = {};
      const active = [];
      // post_*: the cost of the post call itself, for the implementations whose post sends at
      // once (a batched port only queues; a peer's write may defer).
      // Which implementations a case runs. post_*: those whose post sends at once (a batched port
      // only queues; a peer's write may defer). cpu_*: no raw-text (on a fake port there is no
      // browser to carry the string), and untyped only where its work depends on the message:
      // elsewhere it is a string's type and length or a handle passed on, the same as at 16 B and
      // far below the timer's resolution. The diagnostic pairings exist for round trips only;
      // serde_json (the typed message in serde_json's text) for cpu_* only.
      const untypedCpu = ["cpu_post_16B", "cpu_receive_16B", "cpu_post_objects_100KiB"];
      const only = {
        post: ["raw", "raw-text", "untyped", "typed"],
        cpu: untypedCpu.includes(c.case) ? ["raw", "untyped", "typed", "serde_json"] : ["raw", "typed", "serde_json"],
      }[c.kind];
      const diagnostic = ["raw-wpbg", "untyped-jsbg", "raw-bytes", "raw-copy"];
      const cpuOnly = ["serde_json"];
      const caseImpls = impls.filter((i) =>
        only ? only.includes(i) : !cpuOnly.includes(i) && (c.kind === "rt" || !diagnostic.includes(i)),
      );
      for (const impl of caseImpls) {
        if (unsupported[impl]) continue;
        try {
          runners[impl] = makeRunner(impl, c, object, text);
          // Warm-up batches; a peer that fails here is recorded as unsupported, not timed.
          for (let w = 0; w < warmup; w++) await time(runners[impl], `${c.case} ${impl} warm-up`);
          active.push(impl);
        } catch (e) {
          if (!PEERS.includes(impl)) throw new Error(`${c.case} ${impl}: ${e && e.stack ? e.stack : e}`);
          unsupported[impl] = `${c.case}: ${e && e.message ? e.message : e}`;
          try { runners[impl]?.close(); } catch {}
        }
      }
      const batches = Object.fromEntries(active.map((i) => [i, []]));
      const repTimes = Object.fromEntries(active.map((i) => [i, []]));
      for (let r = 0; r < reps; r++) {
        const order = active.map((_, k) => active[(k + r) % active.length]);
        const sum = Object.fromEntries(active.map((i) => [i, 0]));
        for (const impl of [...order, ...[...order].reverse()]) {
          const ms = await time(runners[impl], `${c.case} ${impl}`);
          batches[impl].push(ms);
          sum[impl] += ms;
        }
        for (const impl of active) repTimes[impl].push(sum[impl]);
      }
      for (const impl of active) runners[impl].close();
      const sizes = Object.fromEntries(active.map((i) => [i, batchSize(i, c)]));
      out.push({ ...c, json_bytes: text.length, impls: active, n_of: sizes, batch_ms: batches, rep_ms: repTimes });
    }
    return { reps, warmup, cases: out, unsupported };
  }

  // Cold start. `cold-arm` opens a watch port to the (running) background; the driver then stops
  // the background (Chromium: CDP ServiceWorker.stopAllWorkers; Firefox: the idle timeout);
  // `cold` waits until the watch port sees the background go, then times connect -> post -> the
  // first reply, answered by background.js's JS (raw) or by Rust (webext-port, after its wasm loaded).
  let watch = null;
  async function coldArm() {
    const port = api.runtime.connect({ name: "raw" });
    const gone = new Promise((resolve) => port.onDisconnect.addListener(() => resolve(performance.now())));
    const echo = nextMessage(port);
    port.postMessage("alive?");
    await withTimeout(echo, 20000, "cold-arm");
    watch = { port, gone };
    return { armed: true };
  }
  async function cold({ impl }) {
    if (!watch) throw new Error("cold without cold-arm");
    const goneAt = await withTimeout(watch.gone, 30000, "the background never stopped");
    watch = null;
    const start = performance.now();
    const port = api.runtime.connect({ name: impl === "raw" ? "raw" : "wp:untyped:cold" });
    const reply = nextMessage(port);
    port.postMessage({ ping: 1 });
    await withTimeout(reply, 30000, `cold ${impl}`);
    const ms = performance.now() - start;
    port.disconnect();
    return { impl, ms, stopped_ms_before: start - goneAt };
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-cmd]");
    if (!button) return;
    const cmd = button.dataset.cmd;
    const run = { ports, "cold-arm": coldArm, cold }[cmd];
    if (!run) return;
    document.getElementById(`r-${cmd}`)?.remove();
    try {
      const result = await run(JSON.parse(button.dataset.arg || "{}"));
      show(cmd, JSON.stringify({ user_agent: navigator.userAgent, ...result }));
    } catch (e) {
      show(cmd, `error: ${e && e.stack ? e.stack : e}`);
    }
  });
})();
