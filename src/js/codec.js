// Makes the JS string of the codec's JSON text (ASCII bytes in wasm memory), the fastest way to
// *post* it in each engine. Either way the string's content is the same; only speed differs.
// - Firefox: String.fromCharCode in chunks gives a one-byte (Latin1) string, which structured clone
//   copies in bulk; TextDecoder (what wasm-bindgen uses) gives a two-byte string that costs ~2.4 x
//   to post (PORT-BEHAVIOUR.md A2). Measured: 100 KiB round trip 1.32 x raw JS vs 1.54 x.
// - Chromium (V8): TextDecoder already gives a one-byte string for ASCII and is ~60 x faster than
//   fromCharCode (100 KiB: 11 us vs 680 us), so use it.
const CHUNK = 8192;
const decoder = new TextDecoder();
const latin1ByHand =
  typeof navigator === "object" && navigator !== null && /\bFirefox\//.test(String(navigator.userAgent));

export function asciiToString(bytes) {
  if (!latin1ByHand) return decoder.decode(bytes);
  if (bytes.length <= CHUNK) return String.fromCharCode.apply(null, bytes);
  const parts = [];
  for (let at = 0; at < bytes.length; at += CHUNK) {
    parts.push(String.fromCharCode.apply(null, bytes.subarray(at, at + CHUNK)));
  }
  return parts.join("");
}
