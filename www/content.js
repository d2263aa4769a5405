// Content-script bootstrap: content scripts cannot be modules, so load the wasm package by URL.
(async () => {
  const api = globalThis.chrome ?? globalThis.browser;
  const pkg = await import(api.runtime.getURL("pkg/webext_port_demo.js"));
  await pkg.default();
  pkg.start_content();
})();
