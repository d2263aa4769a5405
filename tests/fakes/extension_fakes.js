// In-page fakes of the WebExtension port APIs, one per browser, for tests/web.rs.
//
// They reproduce what ../../../shared/PORT-BEHAVIOUR.md measured in Chromium 156 and Firefox 153:
//
//                      chromium                                   firefox
//   namespaces         chrome and browser, two objects            browser === chrome
//   port.error         absent ("error" in port === false)         null, then an Error set before onDisconnect
//   error channel      chrome.runtime.lastError, only during      port.error (lastError never set)
//                      dispatch (browser.runtime.lastError: never
//                      measured, so never set here)
//   serialization      JSON (throws on top-level fn/symbol,       structuredClone (DataCloneError for
//                      BigInt, cycles; drops nested fns)          functions/symbols; BigInt, cycles kept)
//   bad extension id   connect throws a TypeError                 async "Receiving end does not exist."
//   native port name   ""                                         the application name
//   native host name   lastError "Invalid native messaging host   "No such native application NAME"
//     not [a-z0-9_.]   name specified."
//   native host exits  lastError "Native host has exited."        clean: port.error stays null
//   host sends > 1 MiB lastError "Error when communicating with   port.error "Native application tried to
//                      the native messaging host."                send a message of N bytes, which exceeds
//                                                                 the limit of 1048576 bytes."
//   context invalidated postMessage/disconnect throw "Extension     the old content script is unloaded:
//     (extension        context invalidated." synchronously;       none of its code runs again
//     reloaded)         runtime.id turns undefined (getURL stays)  (measured); `invalidateContext()`
//                                                                  throws in this fake
//   tabs.connect       every frame of the tab with an onConnect listener gets its own end (frameId
//                      narrows to one); the opener's one port reaches them all.
//   a receiving frame  opener stays connected while any frame     opener disconnected (clean) at the
//     goes away        remains (PORT-BEHAVIOUR.md part B)         first frame that goes (bug 1465514,
//                                                                 part B and issue 9's report)
//   web page           `chromiumWebPage`: chrome.runtime with only connect/sendMessage and no id;
//                      `none`: no chrome/browser at all (any page in Firefox, most in Chromium)
//
// Everything that crosses a port is delivered asynchronously (setTimeout 0), in order.
// `installFake(flavor)` returns a controller that plays the other end of every port.

const NO_RECEIVER = "Could not establish connection. Receiving end does not exist.";
const CONTEXT_INVALIDATED = "Extension context invalidated.";
const CHROMIUM_ID = "abcdefghijklmnopabcdefghijklmnop";
const FIREFOX_ID = "fake@webext-port.test";
const NATIVE_INCOMING_LIMIT = 1024 * 1024; // host → browser, both browsers

const TEXT = {
  chromium: {
    disconnected: "Attempting to use a disconnected port object",
    nativeNotFound: () => "Specified native messaging host not found.",
    nativeBadName: () => "Invalid native messaging host name specified.",
    nativeExited: "Native host has exited.", // Firefox: a clean disconnect (null)
    nativeTooLong: () => "Error when communicating with the native messaging host.",
  },
  firefox: {
    disconnected: "Attempt to postMessage on disconnected port",
    nativeNotFound: (name) => `No such native application ${name}`,
    nativeBadName: (name) => `No such native application ${name}`, // no name rule of its own
    nativeExited: null,
    nativeTooLong: (bytes) =>
      `Native application tried to send a message of ${bytes} bytes, which exceeds the limit of ${NATIVE_INCOMING_LIMIT} bytes.`,
  },
};

let current = null;

// ---------------------------------------------------------------------------------------------
// Events: addListener / removeListener / hasListener, listeners called in order, a throw in one
// does not stop the others (it is recorded in the controller's `listenerErrors`).

const listenersOf = new WeakMap();

class FakeEvent {
  constructor(fake) {
    listenersOf.set(this, { fake, list: [] });
  }
  addListener(listener) {
    if (typeof listener !== "function") throw new TypeError("addListener: listener must be a function");
    const { list } = listenersOf.get(this);
    if (!list.includes(listener)) list.push(listener);
  }
  removeListener(listener) {
    const { list } = listenersOf.get(this);
    const at = list.indexOf(listener);
    if (at >= 0) list.splice(at, 1);
  }
  hasListener(listener) {
    return listenersOf.get(this).list.includes(listener);
  }
  hasListeners() {
    return listenersOf.get(this).list.length > 0;
  }
}

function listenerCount(event) {
  return listenersOf.get(event).list.length;
}

function dispatch(event, ...args) {
  const { fake, list } = listenersOf.get(event);
  for (const listener of [...list]) {
    if (!list.includes(listener)) continue; // removed by an earlier listener of this dispatch
    try {
      listener(...args);
    } catch (error) {
      fake.listenerErrors.push(error);
      console.error("listener threw:", error);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Ports. A channel has two ends; each end has the JS Port object its context sees.

const endOf = new WeakMap();

class FakePort {
  postMessage(message) {
    endOf.get(this).post(message);
  }
  disconnect() {
    endOf.get(this).disconnect();
  }
}

class End {
  constructor(fake, { name, sender }) {
    this.fake = fake;
    this.peers = []; // the other end; several when a tabs.connect reached several frames
    this.closed = false; // this end called disconnect() or saw onDisconnect
    this.received = [];
    this.disconnectCount = 0; // onDisconnect dispatches on this end (at most one)
    this.disconnectError = null; // the error text of that dispatch, if any
    this.isLibrary = false; // the end the library under test holds (for uncheckedLastErrors)
    this.native = false; // the host end of a connectNative port
    const port = new FakePort();
    port.name = name;
    if (sender !== undefined) port.sender = sender;
    if (fake.flavor === "firefox") port.error = null;
    port.onMessage = new FakeEvent(fake);
    port.onDisconnect = new FakeEvent(fake);
    endOf.set(port, this);
    this.port = port;
  }

  post(message) {
    if (this.fake.invalidated && this.isLibrary) throw new Error(CONTEXT_INVALIDATED);
    if (this.closed) throw new Error(TEXT[this.fake.flavor].disconnected);
    const copy = this.fake.serialize(message);
    for (const peer of this.peers) {
      // Each receiving frame gets its own copy, as each renderer deserializes its own.
      const mine = this.peers.length > 1 ? this.fake.serialize(copy) : copy;
      this.fake.later(() => {
        if (!peer.closed) peer.receive(mine);
      });
    }
  }

  receive(message) {
    this.received.push(message);
    dispatch(this.port.onMessage, message, this.port);
  }

  disconnect() {
    if (this.fake.invalidated && this.isLibrary) throw new Error(CONTEXT_INVALIDATED);
    if (this.closed) return;
    this.closed = true;
    for (const peer of this.peers) this.fake.later(() => peer.peerLeft(this));
  }

  /** `gone`, one of our peers, disconnected or went away cleanly. */
  peerLeft(gone) {
    if (this.peers.length > 1) {
      // The opener of a tabs.connect that reached several frames: Chromium keeps the channel while
      // any frame remains; Firefox closes it at the first frame that goes.
      const remaining = this.peers.filter((p) => p !== gone && !p.closed);
      if (this.fake.flavor === "chromium" && remaining.length > 0) return;
    }
    this.disconnected(null);
  }

  /** The other end went away (`error` = browser text, or null for a clean disconnect). */
  disconnected(error) {
    if (this.closed) return;
    this.closed = true;
    this.disconnectCount += 1;
    this.disconnectError = error;
    if (error !== null && this.fake.flavor === "firefox") {
      this.port.error = new Error(error);
      dispatch(this.port.onDisconnect, this.port);
    } else if (error !== null) {
      this.fake.withLastError(error, this.isLibrary, () => dispatch(this.port.onDisconnect, this.port));
    } else {
      dispatch(this.port.onDisconnect, this.port);
    }
  }
}

/** Two connected ends; `open` false makes the second end a void that reports "no receiver". */
function channel(fake, here, there, open) {
  const a = new End(fake, here);
  const b = new End(fake, there);
  a.peers = [b];
  b.peers = [a];
  if (!open) {
    b.closed = true;
    fake.later(() => a.disconnected(NO_RECEIVER));
  }
  return [a, b];
}

/** What the test sees of the far end of a port the library holds. */
class Remote {
  constructor(end, library) {
    this.end = end; // the far end
    this.library = library; // the end the library holds
    library.isLibrary = true;
  }
  /** The JS Port object the library holds. */
  get libraryPort() {
    return this.library.port;
  }
  /** The JS Port object of the far end. */
  get port() {
    return this.end.port;
  }
  /** Every message the library posted that reached this end, as received (copies). */
  get received() {
    return this.end.received;
  }
  /** How many times onDisconnect fired on this end (0 or 1). */
  get disconnectCount() {
    return this.end.disconnectCount;
  }
  /** The error text this end was disconnected with, or null. */
  get disconnectError() {
    return this.end.disconnectError;
  }
  /** Whether the library's end is still open as far as the browser knows. */
  get libraryOpen() {
    return !this.library.closed;
  }
  /** Sends `message` to the library's port. */
  post(message) {
    this.end.post(message);
  }
  /** A clean disconnect from this side (a native host cannot do that: it exits, see `exitHost`). */
  disconnect() {
    if (this.native) this.exitHost();
    else this.end.disconnect();
  }
  /** An error disconnect: the library's port sees `message` (lastError / port.error). */
  fail(message) {
    if (this.end.closed) return;
    this.end.closed = true;
    this.end.fake.later(() => this.library.disconnected(message));
  }
  /** Whether this is the host end of a `connectNative` port. */
  get native() {
    return this.end.native;
  }
  /** The native host exits (or closes its stdout): Chromium's lastError, Firefox's clean end. */
  exitHost() {
    const words = TEXT[this.nativeFlavor("exitHost")].nativeExited;
    if (words === null) this.end.disconnect();
    else this.fail(words);
  }
  /** The native host sends a message of `bytes` (> 1 MiB): each browser closes the port its way. */
  hostSendsOversized(bytes = NATIVE_INCOMING_LIMIT + 1) {
    if (bytes <= NATIVE_INCOMING_LIMIT) throw new Error(`${bytes} bytes is within the limit`);
    this.fail(TEXT[this.nativeFlavor("hostSendsOversized")].nativeTooLong(bytes));
  }
  nativeFlavor(what) {
    if (!this.native) throw new Error(`${what}: not a native port`);
    return this.end.fake.flavor;
  }
  /** Number of listeners on the library's port `onMessage` or `onDisconnect`. */
  listenerCount(eventName) {
    return listenerCount(this.library.port[eventName]);
  }
}

// ---------------------------------------------------------------------------------------------
// The fake browser.

class Fake {
  constructor(flavor) {
    if (flavor !== "chromium" && flavor !== "firefox") throw new Error(`unknown flavor ${flavor}`);
    this.flavor = flavor;
    this.dead = false;
    this.pending = 0;
    this.receiver = true; // false: every connect reports "no receiver"
    this.knownTabs = [1, 2];
    this.nativeHosts = ["ping_pong"];
    this.externalIds = []; // other extensions that listen to onConnectExternal
    this.extensionId = flavor === "chromium" ? CHROMIUM_ID : FIREFOX_ID;
    this.remotes = [];
    this.opened = 0; // ports returned by connect/tabs.connect/connectNative
    this.listenerErrors = [];
    this.lastErrorReads = 0;
    this.lastErrorDispatches = 0;
    this.uncheckedLastErrors = 0;
    this.currentLastError = undefined;
    this.onConnect = new FakeEvent(this);
    this.onConnectExternal = new FakeEvent(this);
    this.invalidated = false;
    this.loopbackNames = new Set(); // runtime.connect names this page also receives (loopBack)
    this.loopbacks = []; // [client end, background end] of each loopback channel
    // What runtime.getManifest() and runtime.getURL() report: an extension whose background
    // service worker is "background.js", so no test page is the background until becomeBackground().
    this.baseUrl = `${flavor === "chromium" ? "chrome-extension" : "moz-extension"}://${this.extensionId}/`;
    this.background = { service_worker: "background.js", scripts: ["background.js"], type: "module" };
    this.frames = new Map(); // tab id → frame ids with a content script listening (default [0])
    this.chrome = this.namespace(true);
    this.browser = flavor === "chromium" ? this.namespace(false) : this.chrome;
  }

  /**
   * One `chrome`/`browser` object. Chromium's two are distinct objects over the same events, and
   * only `chrome.runtime.lastError` is measured there: `browser.runtime.lastError` stays undefined.
   */
  namespace(hasLastError) {
    const fake = this;
    const runtime = {
      id: fake.extensionId,
      get lastError() {
        if (!hasLastError) return undefined;
        if (fake.currentLastError !== undefined) fake.lastErrorReads += 1;
        return fake.currentLastError;
      },
      connect: (...args) => fake.runtimeConnect(args),
      connectNative: (application) => fake.connectNative(application),
      onConnect: fake.onConnect,
      onConnectExternal: fake.onConnectExternal,
      getManifest: () => ({ manifest_version: 3, background: fake.background }),
      getURL: (path) => new URL(path, fake.baseUrl).href,
    };
    const tabs = { connect: (tabId, info) => fake.tabsConnect(tabId, info) };
    return { runtime, tabs };
  }

  later(task) {
    this.pending += 1;
    setTimeout(() => {
      this.pending -= 1;
      if (!this.dead) task();
    }, 0);
  }

  serialize(message) {
    if (this.flavor === "firefox") return structuredClone(message);
    if (message === undefined) return null;
    let json;
    try {
      json = JSON.stringify(message);
    } catch {
      throw new Error("Could not serialize message.");
    }
    if (json === undefined) throw new Error("Could not serialize message.");
    return JSON.parse(json);
  }

  /**
   * Chromium: `runtime.lastError` is `{message}` only while `run` dispatches onDisconnect.
   * A dispatch on the library's end that nobody read it in counts in `uncheckedLastErrors`.
   */
  withLastError(message, isLibrary, run) {
    const readsBefore = this.lastErrorReads;
    this.currentLastError = { message };
    try {
      run();
    } finally {
      this.currentLastError = undefined;
      this.lastErrorDispatches += 1;
      if (this.lastErrorReads === readsBefore && isLibrary) {
        this.uncheckedLastErrors += 1; // Chromium logs "Unchecked runtime.lastError: …"
        console.warn(`Unchecked runtime.lastError: ${message}`);
      }
    }
  }

  /** A port the library opened; the remote end is kept for the test. */
  open(name, reachable) {
    const [library, far] = channel(this, { name }, { name }, reachable && this.receiver);
    const remote = new Remote(far, library);
    this.remotes.push(remote);
    this.opened += 1;
    return library.port;
  }

  runtimeConnect(args) {
    // Chromium 156, extension reloaded (measured, e2e fault_extension_reloaded_*): runtime.connect
    // does not throw; `runtime.id` is gone, which the library checks first. What the returned port
    // then does was not measured, so this fake refuses to pretend.
    if (this.invalidated) throw new Error("fake: runtime.connect after invalidation is not measured");
    let extensionId;
    let info;
    if (typeof args[0] === "string") [extensionId, info] = args;
    else [info] = args;
    if (
      extensionId !== undefined &&
      this.flavor === "chromium" &&
      !/^[a-p]{32}$/.test(extensionId)
    ) {
      throw new TypeError(
        "Error in invocation of runtime.connect(optional string extensionId, optional object connectInfo): " +
          `Invalid extension id: '${extensionId}'`,
      );
    }
    const reachable =
      extensionId === undefined || extensionId === this.extensionId || this.externalIds.includes(extensionId);
    if (extensionId === undefined && this.loopbackNames.has(portName(info))) {
      return this.openLoopback(portName(info));
    }
    return this.open(portName(info), reachable);
  }

  tabsConnect(tabId, info) {
    if (!Number.isInteger(tabId)) {
      throw new TypeError(
        "Error in invocation of tabs.connect(integer tabId, optional object connectInfo): No matching signature.",
      );
    }
    const name = portName(info);
    if (!this.knownTabs.includes(tabId) || !this.receiver) return this.open(name, false);
    const frames = (this.frames.get(tabId) ?? [0]).filter(
      (frame) => info?.frameId === undefined || info.frameId === frame,
    );
    if (frames.length <= 1) return this.open(name, frames.length === 1);
    // Every listening frame of the tab gets its own end of the one channel.
    const library = new End(this, { name });
    library.peers = frames.map((frameId) => {
      const far = new End(this, { name });
      far.frameId = frameId;
      far.peers = [library];
      this.remotes.push(new Remote(far, library));
      return far;
    });
    this.opened += 1;
    return library.port;
  }

  connectNative(application) {
    if (typeof application !== "string") {
      throw new TypeError(
        "Error in invocation of runtime.connectNative(string application): No matching signature.",
      );
    }
    const name = this.flavor === "chromium" ? "" : application;
    const [library, far] = channel(this, { name }, { name }, true);
    far.native = true;
    this.remotes.push(new Remote(far, library));
    this.opened += 1;
    // Chromium's host name rule (native_messaging_host_manifest.cc); Firefox just finds no host.
    const validName = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/.test(application);
    const failure =
      this.flavor === "chromium" && !validName
        ? TEXT.chromium.nativeBadName()
        : this.nativeHosts.includes(application)
          ? null
          : TEXT[this.flavor].nativeNotFound(application);
    if (failure !== null) {
      far.closed = true;
      this.later(() => library.disconnected(failure));
    }
    return library.port;
  }

  // ------------------------------------------------------------------------- controller API

  /** The far end of the last port the library opened (or was handed by dispatchConnect). */
  get lastRemote() {
    return this.remotes[this.remotes.length - 1] ?? null;
  }

  /** The `sender` this browser would put on a content-script port, with `overrides` on top. */
  defaultSender(overrides = {}) {
    const url = "http://127.0.0.1:8000/page.html";
    const tab = {
      id: 1,
      index: 0,
      windowId: 1,
      url,
      title: "page",
      active: true,
      incognito: false,
      status: "complete",
    };
    const base =
      this.flavor === "chromium"
        ? {
            id: this.extensionId,
            url,
            origin: "http://127.0.0.1:8000",
            frameId: 0,
            documentId: "0F1E2D3C4B5A69788796A5B4C3D2E1F0",
            documentLifecycle: "active",
            tab,
          }
        : {
            contextId: 8589934593,
            id: this.extensionId,
            envType: "content_child",
            url,
            tab,
            frameId: 0,
            documentId: "{6a1b2c3d-0000-4000-8000-000000000001}",
            origin: "http://127.0.0.1:8000",
          };
    return { ...base, ...overrides };
  }

  /**
   * Another context connects to us: fires `runtime.<eventName>` (synchronously) with a new port
   * named `name` whose `sender` is `sender` (default: this browser's content-script sender).
   * Returns the opener's end. Nobody listening → the opener gets "no receiver".
   */
  dispatchConnect(name = "", sender = undefined, eventName = "onConnect") {
    const event = this[eventName];
    const listening = listenerCount(event) > 0;
    const [far, library] = channel(
      this,
      { name },
      { name, sender: sender ?? this.defaultSender() },
      true,
    );
    const remote = new Remote(far, library);
    this.remotes.push(remote);
    if (listening) {
      dispatch(event, library.port);
    } else {
      library.closed = true;
      this.later(() => far.disconnected(NO_RECEIVER));
    }
    return remote;
  }

  /**
   * Another extension connects to us: `dispatchConnect` on `runtime.onConnectExternal`.
   * `from` is the sender object, or just the sender's extension id (a string), or undefined for
   * this browser's default other extension.
   */
  dispatchConnectExternal(name = "", from = undefined) {
    const sender = typeof from === "object" && from !== null ? from : this.externalSender(from);
    return this.dispatchConnect(name, sender, "onConnectExternal");
  }

  /** The `sender` of a port another extension (`id`, default: a fixed one) opened to us. */
  externalSender(id = undefined) {
    const other = this.flavor === "chromium" ? "ponmlkjihgfedcbaponmlkjihgfedcba" : "other@webext-port.test";
    return { id: id ?? other, url: "https://example.org/", origin: "https://example.org" };
  }

  /**
   * A web page connects through `externally_connectable` (Chromium only, but either fake does it):
   * `runtime.onConnectExternal` with a sender that has a url, origin and tab but no extension id.
   */
  dispatchConnectFromWebPage(name = "") {
    const { id: _, ...page } = this.defaultSender();
    return this.dispatchConnect(name, page, "onConnectExternal");
  }

  /** Listeners on `runtime.onConnect`. */
  get onConnectListenerCount() {
    return listenerCount(this.onConnect);
  }

  /** Listeners on `runtime.onConnectExternal`. */
  get onConnectExternalListenerCount() {
    return listenerCount(this.onConnectExternal);
  }

  /** Listeners on any fake event (a port's `onMessage`, …). */
  listenerCount(event) {
    return listenerCount(event);
  }

  /**
   * This context becomes a content script: no `tabs` and no `runtime.onConnectExternal` (both
   * browsers). Chromium has no `runtime.connectNative` there; Firefox 153 has one whose port closes
   * at once with a generic error (measured), which this fake does not model: it throws if called.
   */
  becomeContentScript() {
    for (const ns of new Set([this.chrome, this.browser])) {
      delete ns.tabs;
      delete ns.runtime.onConnectExternal;
      if (this.flavor === "chromium") delete ns.runtime.connectNative;
      else {
        ns.runtime.connectNative = () => {
          throw new Error("fake: a content script's connectNative is not modelled");
        };
      }
    }
  }

  /**
   * This test page becomes the extension's background page (`background.page` is this page, and
   * `runtime.getURL` resolves against its origin), as a Firefox event page is.
   */
  becomeBackground() {
    this.baseUrl = `${globalThis.location.origin}/`;
    this.background = { page: globalThis.location.pathname };
  }

  /**
   * `runtime.connect({name})` from this page reaches this page's own `runtime.onConnect`, which
   * plays the background (a real browser never does this: it lets one test page hold both ends
   * of a reconnecting port). Nobody listening: "no receiver", as for any connect.
   */
  loopBack(name) {
    this.loopbackNames.add(name);
  }

  openLoopback(name) {
    const listening = listenerCount(this.onConnect) > 0;
    const [client, background] = channel(this, { name }, { name, sender: this.defaultSender() }, true);
    client.isLibrary = true;
    background.isLibrary = true;
    if (listening) {
      this.loopbacks.push([client, background]);
      dispatch(this.onConnect, background.port);
    } else {
      background.closed = true;
      this.later(() => client.disconnected(NO_RECEIVER));
    }
    return client.port;
  }

  /**
   * The background is stopped (Chromium service worker) or suspended (Firefox event page): its
   * ends of the loopback channels go silent (no onDisconnect there: it is gone, and what was in
   * flight to it is lost), and each client end gets a clean onDisconnect.
   */
  killBackground() {
    const channels = this.loopbacks;
    this.loopbacks = [];
    for (const [client, background] of channels) {
      if (background.closed) continue;
      background.closed = true;
      this.later(() => client.disconnected(null));
    }
    return channels.length;
  }

  /** Content scripts listen in these frames of `tabId` (default: frame 0 only). */
  setFrames(tabId, frameIds) {
    this.frames.set(tabId, [...frameIds]);
  }

  /** The far ends of every port so far, oldest first (a multi-frame tabs.connect adds one each). */
  get allRemotes() {
    return [...this.remotes];
  }

  /**
   * The extension is reloaded under this (content) script. Chromium: from now on the library's
   * ports throw "Extension context invalidated." from postMessage and disconnect, synchronously.
   * Firefox's behaviour was not measured, so its fake refuses to pretend.
   */
  invalidateContext() {
    if (this.flavor !== "chromium") throw new Error("invalidateContext: not measured in Firefox");
    this.invalidated = true;
    // Measured in Chromium 156: `runtime.id` turns undefined (a few ms after the ports close);
    // the runtime object, `getURL` included, stays.
    for (const ns of [this.chrome, this.browser]) ns.runtime.id = undefined;
  }

  /** `runtime.lastError` right now, without counting it as read. */
  peekLastError() {
    return this.currentLastError;
  }

  /** Resolves once every queued delivery has run, plus one more task for follow-up microtasks. */
  settle() {
    return new Promise((resolve) => {
      const tick = () => (this.pending > 0 ? setTimeout(tick, 0) : setTimeout(resolve, 0));
      setTimeout(tick, 0);
    });
  }
}

function portName(info) {
  return info && typeof info.name === "string" ? info.name : "";
}

// ---------------------------------------------------------------------------------------------

/** Installs a fresh fake browser (`"chromium"` or `"firefox"`) and returns its controller. */
export function installFake(flavor) {
  uninstallFake();
  const fake = new Fake(flavor);
  current = fake;
  for (const name of ["chrome", "browser"]) {
    Object.defineProperty(globalThis, name, {
      value: fake[name],
      configurable: true,
      writable: true,
      enumerable: true,
    });
  }
  return fake;
}

/**
 * A web page that an extension lists in `externally_connectable`, as Chromium 156 shows it
 * (PORT-BEHAVIOUR.md A2): `chrome.runtime` with only `connect` and `sendMessage`, no `id`, no
 * `browser`. `connect` without an extension id throws; to the fake's own id it opens a port.
 */
export function installWebPage() {
  const fake = installFake("chromium");
  const connect = (...args) => {
    if (typeof args[0] !== "string") {
      throw new TypeError(
        "Error in invocation of runtime.connect(optional string extensionId, optional object connectInfo): " +
          "chrome.runtime.connect() called from a webpage must specify an Extension ID (string) for its first argument.",
      );
    }
    return fake.runtimeConnect(args);
  };
  const runtime = { connect, sendMessage: () => undefined };
  globalThis.chrome = { runtime };
  delete globalThis.browser;
  if ("browser" in globalThis) globalThis.browser = undefined;
  return fake;
}

/** Removes `chrome` and `browser` from the global object; the old fake delivers nothing more. */
export function uninstallFake() {
  if (current) current.dead = true;
  current = null;
  for (const name of ["chrome", "browser"]) {
    delete globalThis[name];
    if (name in globalThis) globalThis[name] = undefined; // a non-configurable native one
  }
}
