// Holds the runtime.onConnect / onConnectExternal ports that reach a background before its wasm
// is ready, with their early messages and disconnects, until webext-port takes them over.
//
// Why here: a Chromium service worker woken by a connection drops it unless a listener exists by
// the end of its first turn, and a Firefox event page drops it for certain; wasm is never ready
// that early. The wasm-bindgen glue imports this file statically, so the code below runs during
// module evaluation, in the background's first turn, before `init()`.
//
// Rules (each measured, see TOOLCHAIN.md "Holding early connections inside the crate"):
// - it holds only in a background context: an extension page that holds ports keeps a content
//   script's channel alive across a stopped worker;
// - the top level never throws (this file runs in pages, content scripts, workers, tests);
// - nothing is held for long: if nobody takes the ports within RELEASE_MS, they are disconnected
//   (the opener sees a clean disconnect, as if the background had gone away).
//
// The holders live on globalThis under HELD, the same key the content-script bootstrap line uses
// (www/content.js), so the library finds ports held by either in one place.

const HELD = Symbol.for("webext-port.held");

/** Milliseconds a background holds ports that nothing takes over. */
export const RELEASE_MS = 5000;

/** The first of `chrome`, `browser` with a runtime.onConnect, else null. */
function namespaceOf(global) {
  for (const name of ["chrome", "browser"]) {
    const ns = global[name];
    if (ns && typeof ns.runtime?.onConnect?.addListener === "function") return ns;
  }
  return null;
}

/**
 * Whether `global` is this extension's background: the service worker named in the manifest
 * (Chromium), or the background page (`background.page`, or Firefox's generated page for
 * `background.scripts`). Anything it cannot read means "no".
 */
export function isBackground(global) {
  const runtime = namespaceOf(global)?.runtime;
  if (typeof runtime?.getManifest !== "function" || typeof runtime.getURL !== "function") {
    return false;
  }
  const background = runtime.getManifest()?.background ?? {};
  const here = String(global.location?.href ?? "").split(/[?#]/)[0];
  const is = (path) => typeof path === "string" && path !== "" && runtime.getURL(path) === here;
  const worker = global.ServiceWorkerGlobalScope;
  if (typeof worker === "function" && global instanceof worker) {
    return is(background.service_worker);
  }
  return is(background.page) || is("_generated_background_page.html");
}

/** Holds every port `event` fires with: `{ ports: [entry], release() }`. */
function holdEvent(global, event) {
  const ports = [];
  const hold = (port) => {
    const entry = { port, messages: [], disconnected: false, error: null };
    entry.onMessage = (message) => entry.messages.push(message);
    entry.onDisconnect = () => {
      entry.disconnected = true;
      // Firefox reports on the port; Chromium only in lastError, during this very dispatch.
      entry.error = "error" in port ? port.error : (global.chrome?.runtime?.lastError ?? null);
    };
    port.onMessage.addListener(entry.onMessage);
    port.onDisconnect.addListener(entry.onDisconnect);
    ports.push(entry);
  };
  event.addListener(hold);
  return { ports, release: () => event.removeListener(hold) };
}

/** Lets go of what `holder` still holds: listeners off, open ports disconnected. */
function expire(holder) {
  holder.release();
  for (const entry of holder.ports) {
    try {
      entry.port.onMessage.removeListener(entry.onMessage);
      entry.port.onDisconnect.removeListener(entry.onDisconnect);
      if (!entry.disconnected) entry.port.disconnect();
    } catch {
      // The port is gone already (context invalidated): nothing left to release.
    }
  }
}

/**
 * Starts holding in `global` if it is a background; returns whether it did. Holders nobody takes
 * within `releaseMs` are expired. Exported for the layer-2 tests, which play the background.
 */
export function startHolding(global, releaseMs) {
  if (!isBackground(global)) return false;
  for (const holder of Object.values(global[HELD] ?? {})) expire(holder);
  const ns = namespaceOf(global);
  const held = {};
  for (const name of ["onConnect", "onConnectExternal"]) {
    const event = ns.runtime[name];
    if (typeof event?.addListener === "function") held[name] = holdEvent(global, event);
  }
  global[HELD] = held;
  global.setTimeout(() => {
    for (const [name, holder] of Object.entries(held)) {
      if (global[HELD]?.[name] === holder) {
        delete global[HELD][name];
        expire(holder);
      }
    }
  }, releaseMs);
  return true;
}

/**
 * Takes over what is held for `runtime.<eventName>` (by this file or the content-script
 * bootstrap): stops holding and returns the entries in arrival order, each
 * `{ port, messages, disconnected, error, onMessage, onDisconnect }`. Only the first call gets them.
 */
export function takeHeld(eventName) {
  const held = globalThis[HELD];
  const holder = held?.[eventName];
  if (!holder || !Array.isArray(holder.ports)) return [];
  delete held[eventName];
  if (typeof holder.release === "function") holder.release();
  return holder.ports;
}

try {
  startHolding(globalThis, RELEASE_MS);
} catch {
  // Never throw at the top level: a failure here only means nothing is held.
}
