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
    fn hex_matches_lower_hex() {
        for n in [0_u64, 9, 10, 15, 16, 255, 0x1234_abcd, u64::MAX] {
            assert_eq!(hex(n), format!("{n:x}"));
        }
    }
}
