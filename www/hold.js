// Holds ports that connect before the wasm is ready: a Chromium service worker woken by a
// connection drops it unless an onConnect listener exists by the end of its first turn.
// Each held port keeps its early messages and disconnect; webext_port::runtime::OnConnect::held
// takes them over (and calls release()) in one synchronous step, so nothing falls in between.
export function holdConnects(event) {
  const ports = [];
  const hold = (port) => {
    const entry = { port, messages: [], disconnected: false, error: null };
    entry.onMessage = (message) => entry.messages.push(message);
    entry.onDisconnect = () => {
      entry.disconnected = true;
      // Firefox reports on the port, Chromium only in lastError during this very dispatch.
      entry.error = "error" in port ? port.error : (globalThis.chrome?.runtime?.lastError ?? null);
    };
    port.onMessage.addListener(entry.onMessage);
    port.onDisconnect.addListener(entry.onDisconnect);
    ports.push(entry);
  };
  event.addListener(hold);
  return { ports, release: () => event.removeListener(hold) };
}
