//! Texts picked by hand where JSON's grammar has corners: accepted and refused by the reader
//! exactly as serde_json accepts and refuses them, with the same values.

use super::*;

#[test]
fn hand_picked_texts_are_accepted_and_refused_as_serde_json_does() {
    let any = [
        "",
        " ",
        "null",
        " null ",
        "nul",
        "nulll",
        "true",
        "tru",
        "false",
        "fals",
        "0",
        "-0",
        "00",
        "01",
        "-",
        "-a",
        "1.",
        ".5",
        "1.5",
        "1e",
        "1e+",
        "1e-2",
        "1E5",
        "1e400",
        "-1e400",
        "1e-400",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901234567890",
        "0.1e1",
        "2.5E-3",
        "+1",
        "\"\"",
        "\"abc",
        "\"a\\\"b\"",
        "\"\\/\"",
        "\"\\x\"",
        "\"\\u00e9\"",
        "\"\\u00E9\"",
        "\"\\u00g9\"",
        "\"\\ud800\"",
        "\"\\ud800\\u0041\"",
        "\"\\udc00\"",
        "\"\\ud83d\\ude00\"",
        "\"\t\"",
        "\"\u{1f}\"",
        "\"\u{7f}\"",
        "\"é\"",
        "[]",
        "[ ]",
        "[1]",
        "[1,]",
        "[,1]",
        "[1 2]",
        "[1,,2]",
        "[[[]]]",
        "[",
        "]",
        "{}",
        "{ }",
        "{\"a\":1}",
        "{\"a\":1,}",
        "{a:1}",
        "{\"a\" 1}",
        "{\"a\":}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":1,\"a\":2}",
        "{1:2}",
        "[1]x",
        "1 2",
        "\n[\r1\t]\n",
        "{\"a\":[{\"b\":null}]}",
        "truex",
        "nullnull",
        "[true,false,null]",
    ];
    for text in any {
        agree::<Value>(text);
        agree::<()>(text);
        agree::<bool>(text);
        agree::<u8>(text);
        agree::<i32>(text);
        agree::<u64>(text);
        agree::<i64>(text);
        agree::<i128>(text);
        agree::<u128>(text);
        agree::<f64>(text);
        agree::<String>(text);
        agree::<Option<u8>>(text);
        agree::<Vec<u8>>(text);
        agree::<(u8,)>(text);
        agree::<BTreeMap<String, u8>>(text);
    }
    let numbers = [
        "256",
        "-1",
        "-129",
        "127",
        "-128",
        "4294967296",
        "-2147483649",
        "1.0",
        "1e2",
        "-0",
        "18446744073709551616",
        "-9223372036854775808",
        "170141183460469231731687303715884105727",
        "170141183460469231731687303715884105728",
        "-170141183460469231731687303715884105728",
        "340282366920938463463374607431768211455",
        "340282366920938463463374607431768211456",
        "3.4028235e38",
        "1.17549435e-38",
        "1e-50",
        "0.30000000000000004",
        "5e-324",
        "1.7976931348623157e308",
        "1e39",
        "-1e39",
        "3.4028236e38",
    ];
    for text in numbers {
        agree::<u8>(text);
        agree::<i8>(text);
        agree::<u32>(text);
        agree::<i32>(text);
        agree::<u64>(text);
        agree::<i64>(text);
        agree::<i128>(text);
        agree::<u128>(text);
        agree::<f32>(text);
        agree::<f64>(text);
        agree::<Value>(text);
    }
    #[derive(Debug, PartialEq, Deserialize)]
    struct Point {
        x: u8,
        y: Option<u8>,
    }
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        x: u8,
    }
    let records = [
        "{\"x\":1,\"y\":2}",
        "{\"x\":1}",
        "{\"y\":2}",
        "[1,2]",
        "[1]",
        "[1,2,3]",
        "{\"x\":1,\"z\":[1,{\"a\":\"\\u00e9\"},1.5e3,-0,null,true]}",
        "{\"x\":1,\"z\":[1,}",
        "{\"x\":1,\"z\":01}",
        "{\"x\":1,\"x\":2}",
        "{\"x\":1,\"z\":\"\\ud800\"}",
        "{\"x\":1,\"z\":[[[[[]]]]]}",
    ];
    for text in records {
        agree::<Point>(text);
        agree::<Strict>(text);
    }
    let shapes = [
        "\"Unit\"",
        "{\"Unit\":null}",
        "{\"Unit\":1}",
        "\"Newtype\"",
        "{\"Newtype\":7}",
        "{\"Newtype\":7,\"Unit\":null}",
        "{\"Tuple\":[1,\"a\"]}",
        "{\"Tuple\":[1]}",
        "{\"Struct\":{\"x\":1,\"y\":[true]}}",
        "{\"Struct\":[null,[]]}",
        "{\"Other\":1}",
        "\"Other\"",
        "{}",
        "[\"Unit\"]",
        "{\"Newtype\" 7}",
    ];
    for text in shapes {
        agree::<Shape>(text);
    }
    let keys = [
        "{\"1\":2}",
        "{\"-1\":2}",
        "{\"01\":2}",
        "{\"x\":2}",
        "{\"1.5\":2}",
        "{\"4294967296\":2}",
        "{\"\":2}",
    ];
    for text in keys {
        agree::<BTreeMap<i32, u8>>(text);
        agree::<BTreeMap<u32, u8>>(text);
        agree::<BTreeMap<i128, u8>>(text);
        agree::<BTreeMap<String, u8>>(text);
        agree::<BTreeMap<char, u8>>(text);
    }
    agree::<BTreeMap<bool, u8>>("{\"true\":1,\"false\":2}");
    agree::<BTreeMap<bool, u8>>("{\"yes\":1}");
    agree::<char>("\"ab\"");
    agree::<char>("\"a\"");
    agree::<char>("\"\\ud83d\\ude00\"");
}
