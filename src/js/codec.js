// Builds the JS string of an ASCII byte view (the codec's JSON text in wasm memory) with
// String.fromCharCode, in chunks: a one-byte (Latin1) string in SpiderMonkey and V8. Firefox posts
// such a string ~2.4 x faster than the two-byte one TextDecoder returns (PORT-BEHAVIOUR.md, A2).
const CHUNK = 8192;

export function asciiToString(bytes) {
  if (bytes.length <= CHUNK) return String.fromCharCode.apply(null, bytes);
  const parts = [];
  for (let at = 0; at < bytes.length; at += CHUNK) {
    parts.push(String.fromCharCode.apply(null, bytes.subarray(at, at + CHUNK)));
  }
  return parts.join("");
}
