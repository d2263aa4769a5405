// Content-script bootstrap: content scripts cannot be modules, so the wasm package is loaded by
// URL, 30-40 ms after start; a tabs.connect can arrive sooner. The first statement (copy it as
// is, keep it first) holds those ports and their early messages for webext-port, which takes
// them over in its first runtime::on_connect.
((g, e = (g.chrome ?? g.browser).runtime.onConnect, ports = [], hold = (port, x = { port, messages: [], disconnected: false, error: null, onMessage: (m) => x.messages.push(m), onDisconnect: () => { x.disconnected = true; x.error = "error" in port ? port.error : (g.chrome?.runtime?.lastError ?? null); } }) => { port.onMessage.addListener(x.onMessage); port.onDisconnect.addListener(x.onDisconnect); ports.push(x); }) => { e.addListener(hold); g[Symbol.for("webext-port.held")] = { onConnect: { ports, release: () => e.removeListener(hold) } }; })(globalThis);

(async () => {
  const api = globalThis.chrome ?? globalThis.browser;
  const pkg = await import(api.runtime.getURL("pkg/webext_port_demo.js"));
  await pkg.default();
  pkg.start_content();
})();
