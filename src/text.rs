//! Error sentences put together without `core::fmt`.
//!
//! `format!` and `write!` with arguments link `core::fmt`'s machinery (the argument walker,
//! padding, `Display` for every integer type, `char` and `str`) into every wasm that can build an
//! error, which is every wasm: 1.1 KB gzipped of the minimal content script (docs/performance.md,
//! "Size"). The crate's sentences are words, names and integers, so they are joined here
//! instead, and `Display` impls write their parts with `write_str`.

/// `parts`, one after the other.
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|part| part.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// `n` in decimal (itoa, which the codec's writer uses for the same job).
pub(crate) fn decimal<I: itoa::Integer>(n: I) -> String {
    itoa::Buffer::new().format(n).to_owned()
}

/// `text` in double quotes, with `"`, `\` and control characters escaped (`\u{1b}`): a name
/// the user gave, shown in an error without letting it break the sentence, as `{:?}` would.
pub(crate) fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            _ if ch.is_control() => {
                out.push_str("\\u{");
                out.push_str(&hex(u64::from(u32::from(ch))));
                out.push('}');
            }
            _ => out.push(ch),
        }
    }
    out.push('"');
    out
}

/// `n` in lowercase hexadecimal, as `format!("{n:x}")`.
pub(crate) fn hex(mut n: u64) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(b"0123456789abcdef"[(n % 16) as usize]);
        n /= 16;
        if n == 0 {
            break;
        }
    }
    digits
        .iter()
        .rev()
        .map(|&digit| char::from(digit))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_joins_in_order() {
        assert_eq!(concat(&["a", "", "bc", "d"]), "abcd");
        assert_eq!(concat(&[]), "");
    }

    #[test]
    fn decimal_matches_display() {
        for n in [0_i64, 7, -7, i64::MAX, i64::MIN] {
            assert_eq!(decimal(n), n.to_string());
        }
        assert_eq!(decimal(u64::MAX), u64::MAX.to_string());
    }

    #[test]
    fn quoted_escapes_what_would_break_the_sentence() {
        assert_eq!(quoted("ping_pong"), "\"ping_pong\"");
        assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quoted("x\ny\u{1b}\u{7f}"), "\"x\\u{a}y\\u{1b}\\u{7f}\"");
        assert_eq!(quoted("Ünïcode"), "\"Ünïcode\"");
    }

    #[test]
    fn hex_matches_lower_hex() {
        for n in [0_u64, 9, 10, 15, 16, 255, 0x1234_abcd, u64::MAX] {
            assert_eq!(hex(n), format!("{n:x}"));
        }
    }
}
