//! Tests of the cty value codecs: golden bytes written by hand from go-cty's
//! encoding rules (`cty/msgpack/marshal.go`, `unknown.go`, `dynamic.go` and the
//! vmihailenco/msgpack encoder they use), type JSON and raw-state JSON cases, and
//! property tests for round trips and for hostile input.

use std::collections::{BTreeMap, BTreeSet};

use bigdecimal::BigDecimal;
use bigdecimal::num_bigint::BigInt;
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

use super::*;

/// Parses hex bytes such as `"d4 00 00"`.
fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// Joins byte pieces.
fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn num(s: &str) -> BigDecimal {
    s.parse().unwrap()
}

fn number(s: &str) -> Value {
    Value::Number(num(s))
}

fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}

fn obj<const N: usize>(attrs: [(&str, Value); N]) -> Value {
    Value::Object(attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn obj_type<const N: usize>(attrs: [(&str, Type); N]) -> Type {
    Type::object(attrs.into_iter().map(|(k, t)| (k.to_owned(), t)))
}

/// Encodes, checks the bytes, and checks that they decode back to `value`.
#[track_caller]
fn golden(value: &Value, ty: &Type, expected: &[u8]) {
    let bytes = encode_msgpack(value, ty).unwrap();
    assert_eq!(bytes, expected, "encoding of {value:?} as {ty}");
    assert_eq!(&decode_msgpack(&bytes, ty).unwrap(), value);
}

// ---------------------------------------------------------------- msgpack golden

#[test]
fn unknown_is_fixext1_type_zero() {
    // go-cty unknownValBytes: fixext1 (d4), extension type 0, one zero byte.
    golden(&Value::unknown(), &Type::String, &hex("d4 00 00"));
    golden(
        &Value::unknown(),
        &Type::list(Type::Number),
        &hex("d4 00 00"),
    );
    // A refinement with nothing set is a plain unknown too.
    let empty = Value::unknown();
    assert_eq!(
        encode_msgpack(&empty, &Type::Bool).unwrap(),
        hex("d4 00 00")
    );
}

#[test]
fn refined_unknown_string_not_null_with_prefix() {
    // Extension 12, payload {1: false, 2: "ab"} = 82 01 c2 02 a2 61 62 (7 bytes),
    // so the header is ext8 (c7) with length 07 and type 0c.
    let value = Value::unknown_with(Refinement {
        not_null: true,
        string_prefix: Some("ab".to_owned()),
        ..Refinement::default()
    });
    golden(&value, &Type::String, &hex("c7 07 0c 82 01 c2 02 a2 61 62"));
}

#[test]
fn refined_unknown_not_null_only() {
    // Payload {1: false} = 81 01 c2 (3 bytes): c7 03 0c.
    let value = Value::unknown_with(Refinement {
        not_null: true,
        ..Refinement::default()
    });
    golden(&value, &Type::Bool, &hex("c7 03 0c 81 01 c2"));
}

#[test]
fn refined_unknown_number_bounds() {
    // Payload {1: false, 3: [0, true], 4: [100, false]}
    // = 83 01 c2 03 92 00 c3 04 92 64 c2 (11 bytes): c7 0b 0c.
    let value = Value::unknown_with(Refinement {
        not_null: true,
        number_lower: Some((num("0"), true)),
        number_upper: Some((num("100"), false)),
        ..Refinement::default()
    });
    golden(
        &value,
        &Type::Number,
        &hex("c7 0b 0c 83 01 c2 03 92 00 c3 04 92 64 c2"),
    );
}

#[test]
fn refined_unknown_collection_lengths() {
    // Payload {5: 1, 6: 200} = 82 05 01 06 cc c8 (6 bytes): c7 06 0c.
    let value = Value::unknown_with(Refinement {
        length_lower: Some(1),
        length_upper: Some(200),
        ..Refinement::default()
    });
    golden(
        &value,
        &Type::list(Type::String),
        &hex("c7 06 0c 82 05 01 06 cc c8"),
    );
    // Payload {6: 200} = 81 06 cc c8 is 4 bytes: msgpack's fixext4 (d6).
    let value = Value::unknown_with(Refinement {
        length_upper: Some(200),
        ..Refinement::default()
    });
    golden(&value, &Type::map(Type::Bool), &hex("d6 0c 81 06 cc c8"));
}

#[test]
fn refined_unknown_of_dynamic_type_is_written_plain() {
    // go-cty's marshalUnknownValue never refines a dynamic unknown.
    let value = Value::unknown_with(Refinement {
        not_null: true,
        ..Refinement::default()
    });
    assert_eq!(
        encode_msgpack(&value, &Type::Dynamic).unwrap(),
        hex("d4 00 00")
    );
}

#[test]
fn null_is_nil() {
    // null is msgpack nil whatever the type.
    for ty in [
        Type::String,
        Type::Number,
        Type::Dynamic,
        Type::list(Type::Bool),
        obj_type([("a", Type::String)]),
    ] {
        golden(&Value::Null, &ty, &hex("c0"));
    }
}

#[test]
fn integers_use_the_smallest_msgpack_int() {
    // vmihailenco/msgpack EncodeInt: non-negative values as fixint / uint8 / uint16 /
    // uint32 / uint64, negative ones as negative fixint / int8 / int16 / int32 / int64.
    let cases: &[(i64, &str)] = &[
        (0, "00"),
        (5, "05"),
        (127, "7f"),
        (128, "cc 80"),
        (255, "cc ff"),
        (256, "cd 01 00"),
        (1000, "cd 03 e8"),
        (65535, "cd ff ff"),
        (65536, "ce 00 01 00 00"),
        (4_294_967_296, "cf 00 00 00 01 00 00 00 00"),
        (i64::MAX, "cf 7f ff ff ff ff ff ff ff"),
        (-1, "ff"),
        (-32, "e0"),
        (-33, "d0 df"),
        (-128, "d0 80"),
        (-129, "d1 ff 7f"),
        (-1000, "d1 fc 18"),
        (-32769, "d2 ff ff 7f ff"),
        (i64::MIN, "d3 80 00 00 00 00 00 00 00"),
    ];
    for (n, bytes) in cases {
        golden(&Value::from_i64(*n), &Type::Number, &hex(bytes));
    }
    // A whole number written with a fraction or an exponent is still an int.
    golden(&number("1.000"), &Type::Number, &hex("01"));
    golden(&number("1e3"), &Type::Number, &hex("cd 03 e8"));
}

#[test]
fn numbers_beyond_i64() {
    // 2^64 + 1 is neither an int64 nor exact in float64: its decimal text,
    // a 20-byte fixstr (b4).
    let mut expected = hex("b4");
    expected.extend_from_slice(b"18446744073709551617");
    golden(&number("18446744073709551617"), &Type::Number, &expected);
    // 2^63 does not fit int64 but is exact in float64, so go-cty writes a float64.
    golden(
        &number("9223372036854775808"),
        &Type::Number,
        &hex("cb 43 e0 00 00 00 00 00 00"),
    );
    // 1e22 = 2^22 * 5^22 with 5^22 < 2^53: exact in float64 too.
    golden(
        &number("1e22"),
        &Type::Number,
        &hex("cb 44 80 f0 cf 06 4d d5 92"),
    );
    // 1e30 is not exact in float64: its plain decimal text, 31 bytes, the longest
    // fixstr (bf).
    let text = format!("1{}", "0".repeat(30));
    golden(
        &number("1e30"),
        &Type::Number,
        &cat(&[&hex("bf"), text.as_bytes()]),
    );
    // 1e40: 41 bytes of text, a str8 (d9 29).
    let text = format!("1{}", "0".repeat(40));
    golden(
        &number("1e40"),
        &Type::Number,
        &cat(&[&hex("d9 29"), text.as_bytes()]),
    );
}

#[test]
fn fractions() {
    // 0.5 is exact in float64: cb + IEEE 754 bits 3fe0000000000000.
    golden(
        &number("0.5"),
        &Type::Number,
        &hex("cb 3f e0 00 00 00 00 00 00"),
    );
    golden(
        &number("-2.5"),
        &Type::Number,
        &hex("cb c0 04 00 00 00 00 00 00"),
    );
    // 0.1 is not exact in float64 (go-cty's bf.Float64() is not big.Exact), so it
    // goes out as the string "0.1", the shortest text of the value.
    golden(&number("0.1"), &Type::Number, &cat(&[&hex("a3"), b"0.1"]));
    // Trailing zeros are not part of the canonical text.
    let bytes = encode_msgpack(&number("1.10"), &Type::Number).unwrap();
    assert_eq!(bytes, cat(&[&hex("a3"), b"1.1"]));
}

#[test]
fn strings_and_bools() {
    golden(&string("hi"), &Type::String, &cat(&[&hex("a2"), b"hi"]));
    golden(&string(""), &Type::String, &hex("a0"));
    let long = "x".repeat(40);
    golden(
        &Value::String(long.clone()),
        &Type::String,
        &cat(&[&hex("d9 28"), long.as_bytes()]),
    );
    golden(&Value::Bool(true), &Type::Bool, &hex("c3"));
    golden(&Value::Bool(false), &Type::Bool, &hex("c2"));
}

#[test]
fn collections() {
    // A set is an array, in the value's order.
    golden(
        &Value::Set(vec![string("a"), string("b")]),
        &Type::set(Type::String),
        &hex("92 a1 61 a1 62"),
    );
    golden(&Value::List(vec![]), &Type::list(Type::String), &hex("90"));
    golden(
        &Value::List(vec![Value::from_i64(1), Value::unknown(), Value::Null]),
        &Type::list(Type::Number),
        &hex("93 01 d4 00 00 c0"),
    );
    // A map is a msgpack map with string keys.
    golden(
        &Value::Map(BTreeMap::from([("x".to_owned(), Value::Bool(true))])),
        &Type::map(Type::Bool),
        &hex("81 a1 78 c3"),
    );
    golden(
        &Value::Map(BTreeMap::new()),
        &Type::map(Type::Bool),
        &hex("80"),
    );
    // A tuple is an array with one element per element type.
    golden(
        &Value::Tuple(vec![string("a"), Value::from_i64(1)]),
        &Type::Tuple(vec![Type::String, Type::Number]),
        &hex("92 a1 61 01"),
    );
}

#[test]
fn nested_object_with_missing_attribute_written_as_nil() {
    // Attributes are written in sorted order ("name" < "nested"), every attribute
    // of the type present: the missing nested.b is nil.
    let ty = obj_type([
        ("nested", obj_type([("b", Type::Bool), ("a", Type::Number)])),
        ("name", Type::String),
    ]);
    let value = obj([
        ("name", string("x")),
        ("nested", obj([("a", Value::from_i64(1))])),
    ]);
    let expected = cat(&[
        &hex("82"),
        &hex("a4"),
        b"name",
        &hex("a1 78"),
        &hex("a6"),
        b"nested",
        &hex("82 a1 61 01 a1 62 c0"),
    ]);
    let bytes = encode_msgpack(&value, &ty).unwrap();
    assert_eq!(bytes, expected);
    // Decoding fills in the absent attribute as null.
    let decoded = decode_msgpack(&bytes, &ty).unwrap();
    assert_eq!(
        decoded,
        obj([
            ("name", string("x")),
            (
                "nested",
                obj([("a", Value::from_i64(1)), ("b", Value::Null)])
            ),
        ])
    );
}

#[test]
fn dynamic_values_carry_their_type_json() {
    // [type JSON as bin (c4, go's EncodeBytes), value]. `"string"` is 8 bytes.
    golden(
        &Value::Dynamic(Box::new(Type::String), Box::new(string("hi"))),
        &Type::Dynamic,
        &cat(&[&hex("92 c4 08"), b"\"string\"", &hex("a2"), b"hi"]),
    );
    // `["list","number"]` is 17 bytes (0x11).
    golden(
        &Value::Dynamic(
            Box::new(Type::list(Type::Number)),
            Box::new(Value::List(vec![Value::from_i64(1)])),
        ),
        &Type::Dynamic,
        &cat(&[&hex("92 c4 11"), b"[\"list\",\"number\"]", &hex("91 01")]),
    );
    // A null of a known type keeps its type, as go-cty writes it.
    golden(
        &Value::Dynamic(Box::new(Type::String), Box::new(Value::Null)),
        &Type::Dynamic,
        &cat(&[&hex("92 c4 08"), b"\"string\"", &hex("c0")]),
    );
    // A null or unknown dynamic value is plain nil / d4 00 00.
    golden(&Value::Null, &Type::Dynamic, &hex("c0"));
    golden(&Value::unknown(), &Type::Dynamic, &hex("d4 00 00"));
    // Inside an object.
    golden(
        &obj([(
            "v",
            Value::Dynamic(Box::new(Type::Bool), Box::new(Value::Bool(true))),
        )]),
        &obj_type([("v", Type::Dynamic)]),
        &cat(&[&hex("81 a1 76 92 c4 06"), b"\"bool\"", &hex("c3")]),
    );
}

// ---------------------------------------------------------------- msgpack decoding

#[test]
fn any_extension_is_unknown() {
    for bytes in [
        "d5 05 aa bb",          // fixext2, type 5
        "c7 00 07",             // ext8 with no payload, type 7
        "d4 0c 00",             // type 12 with one byte: plain
        "d6 63 01 02 03 04",    // fixext4, type 99
        "c7 02 0c 81 01",       // type 12, truncated map: malformed, plain
        "c7 03 0c a2 68 69",    // type 12, payload not a map
        "c7 03 0c 81 02 05",    // string prefix that is not a string
        "c7 03 0c 81 c0 c2",    // non-integer key
        "c7 04 0c 81 05 d0 ff", // negative length (on a string type: also wrong type)
    ] {
        assert_eq!(
            decode_msgpack(&hex(bytes), &Type::String).unwrap(),
            Value::unknown(),
            "{bytes}"
        );
    }
    // A refinement that does not fit the type is malformed: plain unknown.
    let prefix = hex("c7 04 0c 81 02 a1 61");
    assert_eq!(
        decode_msgpack(&prefix, &Type::Number).unwrap(),
        Value::unknown()
    );
    // Refinements of a dynamic unknown are ignored.
    let not_null = hex("c7 03 0c 81 01 c2");
    assert_eq!(
        decode_msgpack(&not_null, &Type::Dynamic).unwrap(),
        Value::unknown()
    );
}

#[test]
fn unknown_refinement_keys_are_skipped() {
    // {9: [1, {"a": 2}], 1: false}: key 9 is unknown and its value is skipped.
    let bytes = hex("c7 0a 0c 82 09 92 01 81 a1 61 02 01 c2");
    assert_eq!(
        decode_msgpack(&bytes, &Type::String).unwrap(),
        Value::unknown_with(Refinement {
            not_null: true,
            ..Refinement::default()
        })
    );
    // Bytes after the refinement map are ignored.
    let bytes = hex("c7 04 0c 81 01 c2 ff");
    assert_eq!(
        decode_msgpack(&bytes, &Type::Bool).unwrap(),
        Value::unknown_with(Refinement {
            not_null: true,
            ..Refinement::default()
        })
    );
}

#[test]
fn definitely_null_refinement_is_null() {
    assert_eq!(
        decode_msgpack(&hex("c7 03 0c 81 01 c3"), &Type::String).unwrap(),
        Value::Null
    );
}

#[test]
fn numbers_are_read_from_any_form() {
    let cases: &[(&str, &str)] = &[
        ("ca 3f c0 00 00", "1.5"),                              // float32
        ("cb 3f f8 00 00 00 00 00 00", "1.5"),                  // float64
        ("cf ff ff ff ff ff ff ff ff", "18446744073709551615"), // uint64
        ("d3 80 00 00 00 00 00 00 00", "-9223372036854775808"), // int64
        ("d0 80", "-128"),                                      // int8
        ("cc ff", "255"),                                       // uint8
        ("a3 31 65 33", "1000"),                                // "1e3"
        ("a4 2d 30 2e 35", "-0.5"),                             // "-0.5"
        (
            "cb 3f b9 99 99 99 99 99 9a",
            "0.1000000000000000055511151231257827021181583404541015625",
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(
            decode_msgpack(&hex(bytes), &Type::Number).unwrap(),
            number(expected),
            "{bytes}"
        );
    }
    for bad in [
        "a3 61 62 63",                // "abc"
        "a3 69 6e 66",                // "inf"
        "cb 7f f0 00 00 00 00 00 00", // +Inf
        "cb 7f f8 00 00 00 00 00 00", // NaN
        "c3",                         // true
        "a6 31 65 39 39 39 39",       // "1e9999": beyond the supported range
    ] {
        assert!(decode_msgpack(&hex(bad), &Type::Number).is_err(), "{bad}");
    }
}

#[test]
fn strings_may_be_bin() {
    assert_eq!(
        decode_msgpack(&hex("c4 02 68 69"), &Type::String).unwrap(),
        string("hi")
    );
    assert!(decode_msgpack(&hex("a2 ff fe"), &Type::String).is_err());
}

#[test]
fn dynamic_type_json_may_be_str() {
    let bytes = cat(&[&hex("92 a8"), b"\"string\"", &hex("a2"), b"hi"]);
    assert_eq!(
        decode_msgpack(&bytes, &Type::Dynamic).unwrap(),
        Value::Dynamic(Box::new(Type::String), Box::new(string("hi")))
    );
    // Not a 2-element array, or a bad type JSON.
    assert!(decode_msgpack(&hex("91 c0"), &Type::Dynamic).is_err());
    assert!(decode_msgpack(&hex("a2 68 69"), &Type::Dynamic).is_err());
    let bad_type = cat(&[&hex("92 c4 05"), b"\"int\"", &hex("01")]);
    let err = decode_msgpack(&bad_type, &Type::Dynamic).unwrap_err();
    assert!(err.to_string().contains("int"), "{err}");
}

#[test]
fn object_attributes_missing_on_the_wire_are_null() {
    let ty = obj_type([("a", Type::String), ("b", Type::Number)]);
    let bytes = hex("81 a1 61 a1 78");
    assert_eq!(
        decode_msgpack(&bytes, &ty).unwrap(),
        obj([("a", string("x")), ("b", Value::Null)])
    );
    assert_eq!(
        decode_msgpack(&hex("80"), &ty).unwrap(),
        obj([("a", Value::Null), ("b", Value::Null)])
    );
}

#[test]
fn decode_errors_say_where() {
    let ty = obj_type([
        ("tags", Type::map(Type::String)),
        ("rules", Type::list(Type::Number)),
    ]);
    // {"rules": [], "tags": {"x": 5}}
    let bytes = cat(&[
        &hex("82 a5"),
        b"rules",
        &hex("90 a4"),
        b"tags",
        &hex("81 a1 78 05"),
    ]);
    let err = decode_msgpack(&bytes, &ty).unwrap_err().to_string();
    assert!(err.contains(".tags[\"x\"]"), "{err}");
    assert!(err.contains("expected a string"), "{err}");

    // {"rules": [1, 2, true], "tags": null}
    let bytes = cat(&[
        &hex("82 a5"),
        b"rules",
        &hex("93 01 02 c3 a4"),
        b"tags",
        &hex("c0"),
    ]);
    let err = decode_msgpack(&bytes, &ty).unwrap_err().to_string();
    assert!(err.contains(".rules[2]"), "{err}");

    // An attribute the type does not have.
    let bytes = cat(&[&hex("81 a4"), b"nope", &hex("c0")]);
    let err = decode_msgpack(&bytes, &ty).unwrap_err().to_string();
    assert!(
        err.contains(".nope") && err.contains("unsupported attribute"),
        "{err}"
    );

    // A name that is not UTF-8 (names equal to an attribute's are not checked again).
    let bytes = cat(&[&hex("81 a4"), b"ta\xffs", &hex("c0")]);
    let err = decode_msgpack(&bytes, &ty).unwrap_err().to_string();
    assert!(err.contains("not valid UTF-8"), "{err}");
}

#[test]
fn malformed_msgpack_is_an_error() {
    let ty = Type::list(Type::String);
    for bad in [
        "",               // nothing
        "c1",             // reserved marker
        "92 a1 61",       // one element short
        "91 a5 61",       // string shorter than its header
        "dd ff ff ff ff", // 4 billion elements claimed, none there
        "91 a1 61 00",    // trailing byte
        "81 a1 61 a1 62", // a map for a list
    ] {
        assert!(decode_msgpack(&hex(bad), &ty).is_err(), "{bad:?}");
    }
    // Tuples must have exactly their length; map keys must be unique strings.
    let tuple = Type::Tuple(vec![Type::String, Type::String]);
    assert!(decode_msgpack(&hex("91 a1 61"), &tuple).is_err());
    let map = Type::map(Type::Number);
    assert!(decode_msgpack(&hex("82 a1 61 01 a1 61 02"), &map).is_err());
    assert!(decode_msgpack(&hex("81 01 01"), &map).is_err());
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    // 300 nested lists: refused at MAX_DEPTH.
    let mut ty = Type::String;
    for _ in 0..300 {
        ty = Type::list(ty);
    }
    let mut bytes = vec![0x91; 300];
    bytes.push(0xc0);
    assert!(matches!(
        decode_msgpack(&bytes, &ty),
        Err(ValueError::TooDeep { .. })
    ));

    // 1000 dynamic values nested in each other.
    let mut bytes = Vec::new();
    for _ in 0..1000 {
        bytes.extend(hex("92 c4 09"));
        bytes.extend(b"\"dynamic\"");
    }
    bytes.push(0xc0);
    assert!(matches!(
        decode_msgpack(&bytes, &Type::Dynamic),
        Err(ValueError::TooDeep { .. })
    ));

    // A refinement whose unknown key holds 500 nested arrays: a plain unknown.
    let mut payload = hex("81 09");
    payload.extend(vec![0x91; 500]);
    payload.push(0xc0);
    let mut bytes = hex("c8");
    bytes.extend((payload.len() as u16).to_be_bytes());
    bytes.push(0x0c);
    bytes.extend(&payload);
    assert_eq!(
        decode_msgpack(&bytes, &Type::String).unwrap(),
        Value::unknown()
    );

    // Within the limit, deep values decode.
    let mut ty = Type::String;
    let mut value = string("a");
    for _ in 0..(MAX_DEPTH - 1) {
        ty = Type::list(ty);
        value = Value::List(vec![value]);
    }
    let bytes = encode_msgpack(&value, &ty).unwrap();
    assert_eq!(decode_msgpack(&bytes, &ty).unwrap(), value);
}

// ---------------------------------------------------------------- msgpack encoding errors

#[test]
fn encode_checks_the_value_against_the_type() {
    let ty = obj_type([("name", Type::String), ("tags", Type::map(Type::String))]);

    let err = encode_msgpack(&obj([("name", Value::from_i64(1))]), &ty).unwrap_err();
    assert!(matches!(err, ValueError::Mismatch { .. }));
    assert!(err.to_string().contains(".name"), "{err}");

    let value = obj([(
        "tags",
        Value::Map(BTreeMap::from([("x".to_owned(), Value::Bool(true))])),
    )]);
    let err = encode_msgpack(&value, &ty).unwrap_err().to_string();
    assert!(err.contains(".tags[\"x\"]"), "{err}");

    // A value the type has no attribute for, before, between or after the type's names.
    for extra in ["extra", "other", "zzz"] {
        let value = obj([("name", string("n")), (extra, Value::Null)]);
        let err = encode_msgpack(&value, &ty).unwrap_err().to_string();
        assert!(
            err.contains(&format!(".{extra}")) && err.contains("no such attribute"),
            "{err}"
        );
    }

    // A dynamic-typed value must say its type.
    assert!(encode_msgpack(&string("x"), &Type::Dynamic).is_err());
    // A Value::Dynamic only fits the dynamic type.
    let dynamic = Value::Dynamic(Box::new(Type::String), Box::new(string("x")));
    assert!(encode_msgpack(&dynamic, &Type::String).is_err());
    // Tuple lengths must match.
    let tuple = Type::Tuple(vec![Type::String]);
    assert!(encode_msgpack(&Value::Tuple(vec![]), &tuple).is_err());
    // List and set values are not interchangeable.
    assert!(encode_msgpack(&Value::List(vec![]), &Type::set(Type::String)).is_err());
    // Refinements must fit the type.
    let prefix = Value::unknown_with(Refinement {
        string_prefix: Some("a".to_owned()),
        ..Refinement::default()
    });
    assert!(encode_msgpack(&prefix, &Type::Number).is_err());
    let length = Value::unknown_with(Refinement {
        length_lower: Some(1),
        ..Refinement::default()
    });
    assert!(encode_msgpack(&length, &Type::Tuple(vec![])).is_err());
    // Numbers beyond the supported range.
    let huge = Value::Number(BigDecimal::new(BigInt::from(1), -1_000_000));
    assert!(encode_msgpack(&huge, &Type::Number).is_err());
    assert!(encode_json(&huge, &Type::Number).is_err());
}

// ---------------------------------------------------------------- type JSON

#[test]
fn type_json_round_trips() {
    let cases: Vec<(Type, &str)> = vec![
        (Type::String, r#""string""#),
        (Type::Number, r#""number""#),
        (Type::Bool, r#""bool""#),
        (Type::Dynamic, r#""dynamic""#),
        (Type::list(Type::String), r#"["list","string"]"#),
        (Type::set(Type::Number), r#"["set","number"]"#),
        (
            Type::map(Type::set(Type::Bool)),
            r#"["map",["set","bool"]]"#,
        ),
        (
            Type::Tuple(vec![Type::String, Type::Number]),
            r#"["tuple",["string","number"]]"#,
        ),
        (Type::Tuple(vec![]), r#"["tuple",[]]"#),
        (
            obj_type([("b", Type::list(Type::Number)), ("a", Type::String)]),
            r#"["object",{"a":"string","b":["list","number"]}]"#,
        ),
        (obj_type([]), r#"["object",{}]"#),
        (
            Type::Object(ObjectType {
                attributes: BTreeMap::from([
                    ("a".to_owned(), Type::String),
                    ("b".to_owned(), Type::Number),
                    ("c".to_owned(), Type::Dynamic),
                ]),
                optional: BTreeSet::from(["c".to_owned(), "b".to_owned()]),
            }),
            r#"["object",{"a":"string","b":"number","c":"dynamic"},["b","c"]]"#,
        ),
        (
            obj_type([("quote\"d", Type::String)]),
            r#"["object",{"quote\"d":"string"}]"#,
        ),
    ];
    for (ty, text) in cases {
        assert_eq!(String::from_utf8(ty.to_json()).unwrap(), text);
        assert_eq!(Type::from_json(text.as_bytes()).unwrap(), ty, "{text}");
        assert_eq!(ty.to_string(), text);
    }
}

#[test]
fn type_json_accepts_whitespace_and_go_nulls() {
    assert_eq!(
        Type::from_json(b" [ \"list\" , \"string\" ] ").unwrap(),
        Type::list(Type::String)
    );
    assert_eq!(
        Type::from_json(br#"["tuple",null]"#).unwrap(),
        Type::Tuple(vec![])
    );
    assert_eq!(
        Type::from_json(br#"["object",{"a":"bool"},[]]"#).unwrap(),
        obj_type([("a", Type::Bool)])
    );
}

#[test]
fn bad_type_json_is_an_error() {
    for bad in [
        "",
        "not json",
        "42",
        r#""int""#,
        r#"["list"]"#,
        r#"["list","string","extra"]"#,
        r#"["foo","string"]"#,
        r#"[1,"string"]"#,
        r#"["tuple","string"]"#,
        r#"["object",["a"]]"#,
        r#"["object",{"a":"string"},["b"]]"#,
        r#"["object",{"a":"string"},[1]]"#,
        r#"["object",{"a":"string"},["a"],1]"#,
        r#"["object",{"a":"nope"}]"#,
        r#""string" "string""#,
    ] {
        let err = Type::from_json(bad.as_bytes());
        assert!(
            matches!(err, Err(ValueError::TypeJson(_))),
            "{bad}: {err:?}"
        );
    }
    // Too deep: 200 nested lists.
    let deep = format!("{}\"string\"{}", "[\"list\",".repeat(200), "]".repeat(200));
    assert!(Type::from_json(deep.as_bytes()).is_err());
}

// ---------------------------------------------------------------- value JSON

fn raw_state_type() -> Type {
    obj_type([
        ("id", Type::String),
        ("name", Type::String),
        ("tags", Type::map(Type::String)),
        ("count", Type::Number),
        ("size", Type::Number),
        ("enabled", Type::Bool),
        ("missing", Type::list(Type::String)),
        (
            "rule",
            Type::list(obj_type([
                ("priority", Type::Number),
                ("selection", Type::set(Type::String)),
            ])),
        ),
        ("extra", Type::Dynamic),
        ("pair", Type::Tuple(vec![Type::String, Type::Bool])),
    ])
}

#[test]
fn raw_state_json_decodes() {
    let raw = br#"{
        "id": "repo-1",
        "name": "my-repo",
        "tags": {"env": "prod", "team": "core"},
        "count": 3,
        "size": "123456789012345678901234567890.5",
        "enabled": true,
        "rule": [{"priority": 1.5e1, "selection": ["a", "b"]}],
        "extra": {"value": {"k": 1}, "type": ["map", "number"]},
        "pair": ["x", false]
    }"#;
    let value = decode_json(raw, &raw_state_type()).unwrap();
    let expected = obj([
        ("id", string("repo-1")),
        ("name", string("my-repo")),
        (
            "tags",
            Value::Map(BTreeMap::from([
                ("env".to_owned(), string("prod")),
                ("team".to_owned(), string("core")),
            ])),
        ),
        ("count", Value::from_i64(3)),
        ("size", number("123456789012345678901234567890.5")),
        ("enabled", Value::Bool(true)),
        ("missing", Value::Null),
        (
            "rule",
            Value::List(vec![obj([
                ("priority", Value::from_i64(15)),
                ("selection", Value::Set(vec![string("a"), string("b")])),
            ])]),
        ),
        (
            "extra",
            Value::Dynamic(
                Box::new(Type::map(Type::Number)),
                Box::new(Value::Map(BTreeMap::from([(
                    "k".to_owned(),
                    Value::from_i64(1),
                )]))),
            ),
        ),
        ("pair", Value::Tuple(vec![string("x"), Value::Bool(false)])),
    ]);
    assert_eq!(value, expected);
    assert_eq!(value.attr("count").and_then(Value::as_i64), Some(3));
    assert_eq!(value.attr("id").and_then(Value::as_str), Some("repo-1"));
    assert!(value.is_wholly_known());
}

#[test]
fn raw_state_json_conversions_and_errors() {
    let ty = obj_type([("s", Type::String), ("b", Type::Bool), ("n", Type::Number)]);
    // go-cty reads numbers and bools into strings, and "true" / "false" into bools.
    let value = decode_json(br#"{"s": 12.50, "b": "false", "n": null}"#, &ty).unwrap();
    assert_eq!(
        value,
        obj([
            ("s", string("12.50")),
            ("b", Value::Bool(false)),
            ("n", Value::Null)
        ])
    );
    let value = decode_json(br#"{"s": true}"#, &ty).unwrap();
    assert_eq!(value.attr("s"), Some(&string("true")));

    // Attributes the type lacks fail, unless told to skip them.
    let raw = br#"{"s": "x", "gone": 1}"#;
    let err = decode_json(raw, &ty).unwrap_err().to_string();
    assert!(err.contains(".gone"), "{err}");
    let options = JsonDecodeOptions {
        ignore_undefined_attributes: true,
    };
    let value = decode_json_with_options(raw, &ty, options).unwrap();
    assert_eq!(
        value,
        obj([("s", string("x")), ("b", Value::Null), ("n", Value::Null)])
    );

    for bad in [
        &br#"{"n": "abc"}"#[..],
        br#"{"n": true}"#,
        br#"{"b": 1}"#,
        br#"{"s": [1]}"#,
        br#"[]"#,
        br#"{"s": "x"} trailing"#,
        b"",
    ] {
        assert!(
            decode_json(bad, &ty).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    // Dynamic values need exactly "value" and "type".
    for bad in [
        &br#"{"value": 1}"#[..],
        br#"{"type": "number"}"#,
        br#"{"value": 1, "type": "number", "x": 2}"#,
        br#"{"value": 1, "type": "int"}"#,
        br#"1"#,
    ] {
        assert!(decode_json(bad, &Type::Dynamic).is_err());
    }
    assert_eq!(decode_json(b"null", &Type::Dynamic).unwrap(), Value::Null);
    // Errors name the place.
    let ty = obj_type([("rules", Type::list(Type::Number))]);
    let err = decode_json(br#"{"rules": [1, 2, "x"]}"#, &ty)
        .unwrap_err()
        .to_string();
    assert!(err.contains(".rules[2]"), "{err}");
}

#[test]
fn json_encoding() {
    let ty = obj_type([
        ("a", Type::Number),
        ("b", Type::list(Type::String)),
        ("c", Type::Dynamic),
        ("d", Type::map(Type::Bool)),
    ]);
    let value = obj([
        ("a", number("1.50")),
        ("b", Value::List(vec![string("x\"\n\u{1}")])),
        (
            "c",
            Value::Dynamic(
                Box::new(Type::set(Type::Number)),
                Box::new(Value::Set(vec![number("1e3")])),
            ),
        ),
    ]);
    let json = String::from_utf8(encode_json(&value, &ty).unwrap()).unwrap();
    assert_eq!(
        json,
        r#"{"a":1.5,"b":["x\"\n\u0001"],"c":{"value":[1000],"type":["set","number"]},"d":null}"#
    );
    assert_eq!(
        decode_json(json.as_bytes(), &ty).unwrap(),
        obj([
            ("a", number("1.5")),
            ("b", Value::List(vec![string("x\"\n\u{1}")])),
            (
                "c",
                Value::Dynamic(
                    Box::new(Type::set(Type::Number)),
                    Box::new(Value::Set(vec![number("1000")]))
                )
            ),
            ("d", Value::Null),
        ])
    );
    // Big and precise numbers are plain JSON numbers.
    let big = number("123456789012345678901234567890.000000000000000000001");
    assert_eq!(
        encode_json(&big, &Type::Number).unwrap(),
        b"123456789012345678901234567890.000000000000000000001"
    );
    // JSON cannot hold unknowns.
    let value = obj([("b", Value::List(vec![Value::unknown()]))]);
    let err = encode_json(&value, &ty).unwrap_err();
    assert!(
        matches!(&err, ValueError::UnknownInJson { path } if path == ".b[0]"),
        "{err}"
    );
}

// ---------------------------------------------------------------- Value helpers

#[test]
fn value_helpers() {
    assert!(Value::Null.is_null());
    assert!(Value::Dynamic(Box::new(Type::String), Box::new(Value::Null)).is_null());
    assert!(Value::unknown().is_unknown());
    assert!(!Value::List(vec![Value::unknown()]).is_unknown());
    assert!(!Value::List(vec![Value::unknown()]).is_wholly_known());
    assert!(
        !obj([(
            "a",
            Value::Dynamic(Box::new(Type::String), Box::new(Value::unknown()))
        )])
        .is_wholly_known()
    );
    assert!(Value::Null.is_wholly_known());
    assert_eq!(Value::from_i64(-7).as_i64(), Some(-7));
    assert_eq!(number("2.0").as_i64(), Some(2));
    assert_eq!(number("2.5").as_i64(), None);
    assert_eq!(number("1e30").as_i64(), None);
    assert_eq!(number("0e-40").as_i64(), Some(0));
    assert_eq!(number("9223372036854775808").as_i64(), None);
    assert_eq!(Value::from("x").as_str(), Some("x"));
    assert_eq!(Value::from(true).as_bool(), Some(true));
    assert_eq!(Value::from(3i64), Value::from_i64(3));
    assert_eq!(Value::null_of(&Type::String), Value::Null);
    assert_eq!(obj([("a", Value::Null)]).attr("a"), Some(&Value::Null));
    assert_eq!(obj([("a", Value::Null)]).attr("b"), None);
    // Number equality is by value.
    assert_eq!(number("1.0"), number("1"));
}

// ---------------------------------------------------------------- property tests

/// Attribute names: mostly identifiers, sometimes anything.
fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[a-z_][a-z0-9_]{0,6}", 1 => any::<String>()]
}

/// Random types, a few levels deep, with every kind of type.
fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::String),
        Just(Type::Number),
        Just(Type::Bool),
        Just(Type::Dynamic),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            vec(inner.clone(), 0..4).prop_map(Type::Tuple),
            (btree_map(arb_name(), inner, 0..4), any::<u8>()).prop_map(|(attributes, mask)| {
                let optional = attributes
                    .keys()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << (i % 8)) != 0)
                    .map(|(_, k)| k.clone())
                    .collect();
                Type::Object(ObjectType {
                    attributes,
                    optional,
                })
            }),
        ]
    })
}

/// Numbers: small, i64 and u64 extremes, big decimals, exact floats, long texts.
fn arb_number() -> impl Strategy<Value = BigDecimal> {
    prop_oneof![
        (-300i64..300).prop_map(BigDecimal::from),
        any::<i64>().prop_map(BigDecimal::from),
        any::<u64>().prop_map(BigDecimal::from),
        (any::<i128>(), -30i64..30).prop_map(|(m, s)| BigDecimal::new(BigInt::from(m), s)),
        any::<f64>().prop_filter_map("finite", |f| BigDecimal::try_from(f).ok()),
        "-?[0-9]{1,40}(\\.[0-9]{1,40})?(e-?[0-9]{1,2})?".prop_map(|s| s.parse().unwrap()),
    ]
}

/// Refinements that fit `ty`.
fn arb_refinement(ty: &Type) -> BoxedStrategy<Refinement> {
    match ty {
        Type::Dynamic => Just(Refinement::default()).boxed(),
        Type::String => (any::<bool>(), option::of(".{0,6}"))
            .prop_map(|(not_null, string_prefix)| Refinement {
                not_null,
                string_prefix,
                ..Refinement::default()
            })
            .boxed(),
        Type::Number => (
            any::<bool>(),
            option::of((arb_number(), any::<bool>())),
            option::of((arb_number(), any::<bool>())),
        )
            .prop_map(|(not_null, number_lower, number_upper)| Refinement {
                not_null,
                number_lower,
                number_upper,
                ..Refinement::default()
            })
            .boxed(),
        t if t.is_collection() => (
            any::<bool>(),
            option::of(0u64..10),
            option::of(any::<u64>()),
        )
            .prop_map(|(not_null, length_lower, length_upper)| Refinement {
                not_null,
                length_lower,
                length_upper,
                ..Refinement::default()
            })
            .boxed(),
        _ => any::<bool>()
            .prop_map(|not_null| Refinement {
                not_null,
                ..Refinement::default()
            })
            .boxed(),
    }
}

/// Random values of `ty`, with unknowns if `unknowns`; `dynamic_budget` bounds how
/// many dynamic values may nest.
fn arb_value(ty: &Type, unknowns: bool, dynamic_budget: u32) -> BoxedStrategy<Value> {
    let known = match ty {
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::List(elem) => vec(arb_value(elem, unknowns, dynamic_budget), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(elem) => vec(arb_value(elem, unknowns, dynamic_budget), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(elem) => btree_map(
            any::<String>(),
            arb_value(elem, unknowns, dynamic_budget),
            0..4,
        )
        .prop_map(Value::Map)
        .boxed(),
        Type::Tuple(elems) => elems
            .iter()
            .map(|e| arb_value(e, unknowns, dynamic_budget))
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Object(object) => {
            let names: Vec<String> = object.attributes.keys().cloned().collect();
            object
                .attributes
                .values()
                .map(|t| arb_value(t, unknowns, dynamic_budget))
                .collect::<Vec<_>>()
                .prop_map(move |values| Value::Object(names.iter().cloned().zip(values).collect()))
                .boxed()
        }
        Type::Dynamic if dynamic_budget == 0 => Just(Value::Null).boxed(),
        Type::Dynamic => arb_type()
            .prop_flat_map(move |t| {
                let inner = arb_value(&t, unknowns, dynamic_budget - 1);
                (Just(t), inner)
            })
            .prop_map(|(t, v)| Value::Dynamic(Box::new(t), Box::new(v)))
            .boxed(),
    };
    if unknowns {
        prop_oneof![
            1 => Just(Value::Null),
            1 => arb_refinement(ty).prop_map(Value::unknown_with),
            5 => known,
        ]
        .boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 5 => known].boxed()
    }
}

fn arb_typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |t| {
        let value = arb_value(&t, unknowns, 2);
        (Just(t), value)
    })
}

/// A few fixed types for the fuzz tests, including dynamic and nested objects.
fn fuzz_types() -> Vec<Type> {
    vec![
        Type::String,
        Type::Number,
        Type::Dynamic,
        Type::list(Type::Dynamic),
        Type::map(Type::set(Type::Number)),
        obj_type([
            ("id", Type::String),
            ("n", Type::Number),
            ("d", Type::Dynamic),
            (
                "nested",
                Type::list(obj_type([
                    ("tags", Type::map(Type::String)),
                    ("pair", Type::Tuple(vec![Type::Bool, Type::Dynamic])),
                ])),
            ),
        ]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn decode_random_bytes_never_panics(
        bytes in vec(any::<u8>(), 0..96),
        extra in arb_type(),
    ) {
        for ty in fuzz_types().iter().chain([&extra]) {
            let _ = decode_msgpack(&bytes, ty);
        }
    }

    #[test]
    fn decode_mutated_encodings_never_panics(
        (ty, value) in arb_typed_value(true),
        edits in vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let mut bytes = encode_msgpack(&value, &ty).unwrap();
        for (index, byte, op) in edits {
            match op {
                0 if !bytes.is_empty() => {
                    let i = index.index(bytes.len());
                    bytes[i] = byte;
                }
                1 => bytes.insert(index.index(bytes.len() + 1), byte),
                _ => bytes.truncate(index.index(bytes.len() + 1)),
            }
        }
        let _ = decode_msgpack(&bytes, &ty);
        let _ = decode_msgpack(&bytes, &Type::Dynamic);
    }

    #[test]
    fn json_decoders_never_panic(
        text in ".{0,64}",
        bytes in vec(any::<u8>(), 0..64),
        ty in arb_type(),
    ) {
        let _ = decode_json(text.as_bytes(), &ty);
        let _ = decode_json(&bytes, &ty);
        let _ = Type::from_json(text.as_bytes());
        let _ = Type::from_json(&bytes);
    }

    #[test]
    fn msgpack_round_trip((ty, value) in arb_typed_value(true)) {
        let bytes = encode_msgpack(&value, &ty).unwrap();
        prop_assert_eq!(decode_msgpack(&bytes, &ty).unwrap(), value);
    }

    #[test]
    fn json_round_trip((ty, value) in arb_typed_value(false)) {
        prop_assert!(value.is_wholly_known());
        let bytes = encode_json(&value, &ty).unwrap();
        prop_assert_eq!(decode_json(&bytes, &ty).unwrap(), value);
    }

    #[test]
    fn type_json_round_trip(ty in arb_type()) {
        let json = ty.to_json();
        prop_assert_eq!(Type::from_json(&json).unwrap(), ty);
    }

    #[test]
    fn number_encoding_follows_go_cty(n in arb_number()) {
        let bytes = encode_msgpack(&Value::Number(n.clone()), &Type::Number).unwrap();
        let first = bytes.first().copied().unwrap();
        let fits_i64 = n.is_integer() && i64::try_from(n.with_scale(0).into_bigint_and_scale().0).is_ok();
        if fits_i64 {
            // An int form: fixint, uint 8-64, int 8-64.
            prop_assert!(first <= 0x7f || first >= 0xe0 || (0xcc..=0xd3).contains(&first));
        } else if first == 0xcb {
            let f = f64::from_be_bytes(bytes[1..].try_into().unwrap());
            prop_assert_eq!(BigDecimal::try_from(f).unwrap(), n);
        } else {
            // Decimal text, not exact in float64.
            prop_assert!((0xa0..=0xbf).contains(&first) || (0xd9..=0xdb).contains(&first));
        }
    }
}

#[test]
fn a_value_is_no_larger_than_a_number() {
    // Values are moved into and out of every map and vector a request builds; a refinement
    // or a dynamic value's type inline would make each of them four times as large.
    assert!(std::mem::size_of::<Value>() <= std::mem::size_of::<BigDecimal>());
}
