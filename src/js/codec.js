// Makes the JS string of the codec's JSON text (ASCII bytes in wasm memory), the fastest way to
// *post* it in each engine. Either way the string's content is the same; only speed differs.
// - Firefox: String.fromCharCode in chunks gives a one-byte (Latin1) string, which structured clone
//   copies in bulk; TextDecoder (what wasm-bindgen uses) gives a two-byte string that costs ~2.4 x
//   to post (PORT-BEHAVIOUR.md A2). Measured: 100 KiB round trip 1.32 x raw JS vs 1.54 x.
// - Chromium (V8): TextDecoder already gives a one-byte string for ASCII and is ~60 x faster than
//   fromCharCode (100 KiB: 11 us vs 680 us), so use it.
const CHUNK = 8192;
// Up to this many characters, a plain copy beats the engines' bulk conversions (their fixed cost).
const SHORT = 256;
const decoder = new TextDecoder();
const latin1ByHand =
  typeof navigator === "object" && navigator !== null && /\bFirefox\//.test(String(navigator.userAgent));

export function asciiToString(bytes) {
  // A short text: fromCharCode in every engine; TextDecoder.decode's fixed cost per call (~3 us
  // on a port event in Chromium, a CPU profile in docs/performance.md) is more than the copy.
  if (bytes.length <= SHORT) return String.fromCharCode.apply(null, bytes);
  if (!latin1ByHand) return decoder.decode(bytes);
  if (bytes.length <= CHUNK) return String.fromCharCode.apply(null, bytes);
  const parts = [];
  for (let at = 0; at < bytes.length; at += CHUNK) {
    parts.push(String.fromCharCode.apply(null, bytes.subarray(at, at + CHUNK)));
  }
  return parts.join("");
}

// Reads a typed message's text into wasm memory in one call: TextEncoder.encodeInto straight into
// `into` (a view of wasm memory), where wasm-bindgen's own string passing copies character by
// character in JS (100 KiB: several times slower, docs/performance.md). Returns:
// n >= 0: the ASCII string's n bytes are in `into` (UTF-8 has one byte per UTF-16 unit exactly
//   when the string is ASCII, which is what the codec always sends);
// -1: `value` is not a string; -2: it is not ASCII (the caller reads it the general way);
// -3 - length: `into` is too short for its `length` bytes (the caller asks again, with room).
const encoder = new TextEncoder();
export function readAscii(value, into) {
  if (typeof value !== "string") return -1;
  const length = value.length;
  if (length > into.length) return -3 - length;
  if (length <= SHORT) {
    // encodeInto's own cost (a call into the engine, a result object) is more than a short copy.
    for (let i = 0; i < length; i++) {
      const unit = value.charCodeAt(i);
      if (unit > 0x7f) return -2;
      into[i] = unit;
    }
    return length;
  }
  const { read, written } = encoder.encodeInto(value, into);
  return read === length && written === length ? written : -2;
}

