// Content scripts cannot be modules: load the content script's own wasm package by URL.
(async () => {
  const api = globalThis.chrome ?? globalThis.browser;
  const pkg = await import(api.runtime.getURL("content/minimal_content.js"));
  await pkg.default();
  await pkg.start();
})();
