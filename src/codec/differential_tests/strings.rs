//! String content at every offset around the eight-byte words the writer and reader skip by.

use super::{agree, ascii_json};
use crate::codec::{from_text, to_text};
use std::collections::BTreeMap;

/// The writer and the reader go through plain string content eight bytes at a time
/// (`codec/swar.rs`): every kind of byte that ends a plain run, at every offset around the word
/// boundaries, written as serde_json writes it and read (or refused) as serde_json reads it,
/// including inside a value that is skipped.
#[test]
fn a_special_character_at_every_offset_of_a_long_string() {
    let specials = [
        "\"", "\\", "\n", "\u{0}", "\u{1f}", "\u{7f}", "é", "中", "😀", "/", " ",
    ];
    for special in specials {
        for before in 0..20 {
            for after in [0, 1, 7, 8, 9, 17] {
                let text = format!("{}{special}{}", "a".repeat(before), "b".repeat(after));
                let ours = to_text(&text).unwrap_or_else(|err| panic!("{text:?}: {err}"));
                assert_eq!(ours, ascii_json(&text), "{text:?}");
                agree::<String>(&ours);
                assert_eq!(from_text::<String>(&ours).ok(), Some(text.clone()));
                // serde_json's own text (non-ASCII as UTF-8), and the same inside a skipped field.
                let plain = serde_json::to_string(&text).unwrap_or_default();
                agree::<String>(&plain);
                agree::<serde::de::IgnoredAny>(&plain);
                agree::<BTreeMap<String, ()>>(&format!("{{\"x\":{plain}}}"));
                agree::<Option<()>>(&format!("[{plain}]"));
            }
        }
    }
    // A raw control character or an unfinished escape at every offset: refused by both.
    for bad in ["\u{1}", "\u{1f}", "\\x", "\\u1x", "\\ud800"] {
        for before in 0..20 {
            for after in [0, 1, 8, 9] {
                let text = format!("\"{}{bad}{}\"", "a".repeat(before), "b".repeat(after));
                agree::<String>(&text);
                agree::<serde::de::IgnoredAny>(&text);
                assert!(from_text::<String>(&text).is_err(), "{text:?} was read");
            }
        }
    }
    // Text that ends inside a long string.
    for length in 0..20 {
        agree::<String>(&format!("\"{}", "a".repeat(length)));
        agree::<serde::de::IgnoredAny>(&format!("\"{}", "a".repeat(length)));
    }
}
