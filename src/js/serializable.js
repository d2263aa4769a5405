// Finds values that Chromium (JSON) and Firefox (structured clone) treat differently or refuse:
// functions, symbols, BigInts, cycles and DOM nodes, at any depth. Returns null when the value is fine.
export function whyNotSerializable(value) {
  const onPath = new Set();
  const visit = (v, where) => {
    const t = typeof v;
    if (t === "function") return `a function at ${where}`;
    if (t === "symbol") return `a symbol at ${where}`;
    if (t === "bigint") return `a BigInt at ${where}`;
    if (t !== "object" || v === null) return null;
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) return null;
    if (typeof Node === "function" && v instanceof Node) return `a DOM node at ${where}`;
    if (onPath.has(v)) return `a cycle at ${where}`;
    onPath.add(v);
    let why = null;
    if (v instanceof Map) {
      for (const [k, x] of v) if ((why = visit(k, `${where}.<key>`) ?? visit(x, `${where}.get(${String(k)})`))) break;
    } else if (v instanceof Set) {
      for (const x of v) if ((why = visit(x, `${where}.<item>`))) break;
    } else {
      for (const k of Object.keys(v)) if ((why = visit(v[k], `${where}.${k}`))) break;
    }
    onPath.delete(v);
    return why;
  };
  return visit(value, "message");
}
