// A port to an extension that cannot exist, shaped like Firefox's: it reports `error` on the next
// task, as Firefox does for any unknown id, where Chromium instead throws at connect() time for a
// malformed one. Posts before that are accepted and go nowhere, as in Firefox.
export function unreachablePort(name, message) {
  const event = (set) => ({
    addListener: (f) => void set.add(f),
    removeListener: (f) => void set.delete(f),
    hasListener: (f) => set.has(f),
  });
  const onDisconnect = new Set();
  let connected = true;
  const port = {
    name,
    error: null,
    sender: undefined,
    onMessage: event(new Set()),
    onDisconnect: event(onDisconnect),
    postMessage() {
      if (!connected) throw new Error("Attempt to postMessage on disconnected port");
    },
    disconnect() {
      connected = false;
    },
  };
  setTimeout(() => {
    if (!connected) return;
    connected = false;
    port.error = new Error(message);
    for (const listener of [...onDisconnect]) listener(port);
  }, 0);
  return port;
}
