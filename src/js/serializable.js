// Decides whether a message crosses a port identically in Chromium (JSON) and Firefox (structured
// clone): null, booleans, finite numbers, strings, arrays and plain objects of those, at any depth.
// An object property holding undefined is allowed (both browsers then read it as undefined);
// everything else that JSON would change is refused.
//
// Returns null when the message may be posted, a string saying why not, or (the message is fine but
// may be over `limit` bytes of UTF-8 JSON) the upper bound it computed, a number: the caller then
// measures exactly. The bound is summed during the same walk, so a message that is obviously small
// never pays for a JSON.stringify. Reason texts with a path are built only once something fails.
export function checkMessage(value, limit) {
  // Cycles: a walk this deep is a cycle or an unusually deep message; only then is the walk redone
  // with the objects on the current path in a Set (which costs as much as the rest of the walk).
  const first = walk(value, limit, null);
  return first === TOO_DEEP ? walk(value, limit, new Set()) : first;
}

const TOO_DEEP = {};
const DEPTH_BEFORE_CYCLE_CHECK = 256;

// The walk's state lives here rather than in a closure made per call: a closure per post cost
// more than the walk of a small message. `walk` saves and restores it, so a getter that posts
// while being read (a nested walk) cannot disturb the outer one.
let bound = 0;
let depth = 0;
let onPath = null;

function walk(value, limit, path) {
  // Saved in locals, not an array: no allocation per post.
  const savedBound = bound;
  const savedDepth = depth;
  const savedPath = onPath;
  bound = 0;
  depth = 0;
  onPath = path;
  let why;
  let total;
  try {
    why = visit(value);
  } catch (e) {
    if (e === TOO_DEEP) return TOO_DEEP;
    throw e;
  } finally {
    total = bound;
    bound = savedBound;
    depth = savedDepth;
    onPath = savedPath;
  }
  if (why) {
    // [what, note, innermost step, …, outermost step]
    const [what, note, ...steps] = why;
    return `${what} at message${steps.reverse().join("")}${note}`;
  }
  return total > limit ? total : null;
}

// The reason for `v` (null: fine), adding its JSON size bound to `bound` on the way.
function visit(v) {
  switch (typeof v) {
    case "string":
      bound += 6 * v.length + 2; // every UTF-16 unit is at most 6 bytes of JSON ("\u001f")
      return null;
    case "boolean":
      bound += 5;
      return null;
    case "number":
      bound += 25; // "-1.7976931348623157e+308" is 24
      return Number.isFinite(v) ? null : [`${v}`, " (JSON turns it into null)"];
    case "undefined":
      return ["undefined", " (JSON turns it into null or drops it)"];
    case "function":
      return ["a function", ""];
    case "symbol":
      return ["a symbol", ""];
    case "bigint":
      return ["a BigInt", ""];
  }
  if (v === null) {
    bound += 4;
    return null;
  }
  if (onPath) {
    if (onPath.has(v)) return ["a cycle", ""];
    onPath.add(v);
  } else if (depth >= DEPTH_BEFORE_CYCLE_CHECK) {
    throw TOO_DEEP;
  }
  depth++;
  let why = null;
  if (Array.isArray(v)) {
    const length = v.length;
    bound += 2 + length;
    for (let i = 0; i < length; i++) {
      if ((why = visit(v[i]))) {
        why.push(`[${i}]`);
        break;
      }
    }
    // JSON drops named properties (and calls toJSON); structured clone keeps them.
    if (!why && (Object.keys(v).length !== length || typeof v.toJSON === "function")) {
      why = ["an array with named properties or toJSON", ""];
    }
  } else {
    // Realm-independent "plain object": its prototype is some realm's Object.prototype, or null.
    const proto = Object.getPrototypeOf(v);
    if (proto !== null && Object.getPrototypeOf(proto) !== null) {
      const kind = Object.prototype.toString.call(v).slice(8, -1);
      why = [`a ${kind}`, " (only plain objects and arrays cross every browser unchanged)"];
    } else if (typeof v.toJSON === "function") {
      why = ["an object with toJSON", ""];
    } else {
      bound += 2;
      // for-in, not Object.keys: no array of keys per object (measured ~2x faster in V8); the
      // own-property test skips what a plain object inherits, as JSON and structured clone do.
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        const x = v[k];
        if (x === undefined) continue;
        bound += 6 * k.length + 4; // "key": and a comma
        if ((why = visit(x))) {
          why.push(`.${k}`);
          break;
        }
      }
    }
  }
  depth--;
  if (onPath) onPath.delete(v);
  return why;
}

// Whether the message, as JSON in UTF-8 (what Chromium measures, and what a native messaging host
// receives), is over `limit` bytes.
export function jsonLongerThan(value, limit) {
  const json = JSON.stringify(value) ?? "";
  if (json.length > limit) return true;
  if (json.length * 3 <= limit) return false;
  let bytes = json.length;
  for (let i = 0; i < json.length && bytes <= limit; i++) {
    const c = json.charCodeAt(i);
    if (c >= 0x80) bytes += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return bytes > limit;
}

// An untyped post in one call from wasm: the check of checkMessage, then port.postMessage. Each
// wasm <-> JS crossing costs about a microsecond when a port event runs it (a CPU profile of the
// round trip, docs/performance.md), and checking and posting separately took five.
// Returns 0 when the message was checked and posted. Otherwise nothing was posted, 1: for an
// object, what checkMessage found (its reason, its size bound, or what a getter threw) waits in
// `verdict` for takeVerdict, so that the caller reports it without reading the message again (a
// getter runs once per post, as the browser would run it); for anything else the caller checks
// the value itself (no getters there). A throw of port.postMessage itself propagates.
export function postChecked(port, message, limit) {
  switch (typeof message) {
    case "string":
      if (6 * message.length + 2 > limit) return 1;
      break;
    case "boolean":
      break;
    case "number":
      if (!Number.isFinite(message)) return 1;
      break;
    case "object": {
      if (message === null) break;
      let found;
      try {
        found = checkMessage(message, limit);
      } catch (e) {
        verdict = new Thrown(e);
        return 1;
      }
      if (found !== null) {
        verdict = found;
        return 1;
      }
      break;
    }
    default:
      return 1;
  }
  port.postMessage(message);
  return 0;
}

// What postChecked found in the object it did not post, as checkMessage would return it (or
// throw it). Taken once: the caller asks right after postChecked returned 1.
export function takeVerdict() {
  const found = verdict;
  verdict = null;
  if (found instanceof Thrown) throw found.error;
  return found;
}

let verdict = null;

class Thrown {
  constructor(error) {
    this.error = error;
  }
}

// A value as text for an error: an Error (of any realm) as String(value) ("Name: message"), else
// its JSON, else String(value) (a symbol, a BigInt, a cycle), else its type (an object with no
// toString). What `format!("{:?}")` would say, without wasm-bindgen's debug formatter (its JS and
// Rust's `core::fmt` in every wasm).
export function describe(value) {
  try {
    if (Object.prototype.toString.call(value) === "[object Error]") return String(value);
  } catch {}
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {}
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}
