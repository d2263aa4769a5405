// Decides whether a message crosses a port identically in Chromium (JSON) and Firefox (structured
// clone): null, booleans, finite numbers, strings, arrays and plain objects of those, at any depth.
// Returns null when it does, else a short reason. An object property holding undefined is allowed
// (both browsers then read it as undefined); everything else that JSON would change is refused.
export function whyNotSerializable(value) {
  const onPath = new Set();
  const visit = (v, where) => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return null;
      case "number":
        return Number.isFinite(v) ? null : `${v} at ${where} (JSON turns it into null)`;
      case "undefined":
        return `undefined at ${where} (JSON turns it into null or drops it)`;
      case "function":
        return `a function at ${where}`;
      case "symbol":
        return `a symbol at ${where}`;
      case "bigint":
        return `a BigInt at ${where}`;
    }
    if (v === null) return null;
    if (onPath.has(v)) return `a cycle at ${where}`;
    let why = null;
    onPath.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length && !why; i++) why = visit(v[i], `${where}[${i}]`);
      // JSON drops named properties (and calls toJSON); structured clone keeps them.
      if (!why && (Object.keys(v).length !== v.length || typeof v.toJSON === "function")) {
        why = `an array with named properties or toJSON at ${where}`;
      }
    } else {
      // Realm-independent "plain object": its prototype is some realm's Object.prototype, or null.
      const proto = Object.getPrototypeOf(v);
      if (proto !== null && Object.getPrototypeOf(proto) !== null) {
        const kind = Object.prototype.toString.call(v).slice(8, -1);
        why = `a ${kind} at ${where} (only plain objects and arrays cross every browser unchanged)`;
      } else if (typeof v.toJSON === "function") {
        why = `an object with toJSON at ${where}`;
      } else {
        for (const k of Object.keys(v)) {
          const x = v[k];
          if (x === undefined) continue;
          if ((why = visit(x, `${where}.${k}`))) break;
        }
      }
    }
    onPath.delete(v);
    return why;
  };
  return visit(value, "message");
}

// Whether the message, as JSON in UTF-8 (what a native messaging host receives), is over `limit` bytes.
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
