//! Each validator on good and bad values, and the paths of the errors it reports.

use std::collections::BTreeMap;

use super::*;
use crate::plugin::schema::{Attribute, NestedBlock};
use crate::plugin::value::Type;

fn errors(validator: &Validator, value: Value) -> Vec<String> {
    validator
        .check(&value)
        .into_iter()
        .map(|(path, detail)| format!("{path}|{detail}"))
        .collect()
}

#[test]
fn string_rules() {
    let one_of = Validator::OneOf(&["X86_64", "ARM64"]);
    assert!(errors(&one_of, "ARM64".into()).is_empty());
    assert_eq!(
        errors(&one_of, "arm".into()),
        vec!["|\"arm\" is not one of X86_64, ARM64.".to_owned()]
    );
    let length = Validator::Length(1, 3);
    assert!(errors(&length, "abc".into()).is_empty());
    assert_eq!(errors(&length, "".into()).len(), 1);
    let pattern = Validator::Pattern {
        regex: r"^[a-z]+$",
        meaning: "lowercase letters",
    };
    assert!(errors(&pattern, "abc".into()).is_empty());
    assert_eq!(
        errors(&pattern, "aB".into()),
        vec!["|\"aB\" is not lowercase letters.".to_owned()]
    );
    let arn = Validator::Arn(&["secretsmanager", "ssm"]);
    assert!(
        errors(
            &arn,
            "arn:aws:ssm:eu-west-1:123456789012:parameter/db".into()
        )
        .is_empty()
    );
    assert_eq!(errors(&arn, "arn:aws:s3:::bucket/x".into()).len(), 1);
    assert_eq!(errors(&arn, "bucket".into()).len(), 1);
    assert!(errors(&Validator::Duration, "1h30m".into()).is_empty());
    assert_eq!(errors(&Validator::Duration, "soon".into()).len(), 1);
    let custom = Validator::custom("Starts with a.", |s| {
        s.starts_with('a')
            .then_some(())
            .ok_or_else(|| format!("{s} does not start with a"))
    });
    assert!(errors(&custom, "abc".into()).is_empty());
    assert_eq!(
        errors(&custom, "b".into()),
        vec!["|b does not start with a".to_owned()]
    );
}

#[test]
fn number_rules() {
    let between = Validator::Between(1, 65535);
    assert!(errors(&between, Value::from(80)).is_empty());
    assert_eq!(errors(&between, Value::from(0)).len(), 1);
    assert_eq!(
        errors(&between, Value::Number("1.5".parse().unwrap_or_default())).len(),
        1
    );
    let sizes = Validator::OneOfNumbers(&[256, 512]);
    assert!(errors(&sizes, Value::from(512)).is_empty());
    assert_eq!(
        errors(&sizes, Value::from(300)),
        vec!["|300 is not one of 256, 512.".to_owned()]
    );
}

#[test]
fn map_rules_point_at_the_key() {
    let map = Value::Map(BTreeMap::from([
        ("ok".to_owned(), Value::from("1")),
        ("aws:x".to_owned(), Value::from("22")),
    ]));
    let keys = Validator::Keys(Box::new(Validator::Pattern {
        regex: r"^[a-z]+$",
        meaning: "lowercase letters",
    }));
    assert_eq!(
        errors(&keys, map.clone()),
        vec!["[\"aws:x\"]|\"aws:x\" is not lowercase letters.".to_owned()]
    );
    let values = Validator::Elements(Box::new(Validator::Length(0, 1)));
    assert_eq!(errors(&values, map.clone()).len(), 1);
    assert_eq!(errors(&Validator::MaxItems(1), map).len(), 1);
}

#[test]
fn blocks_are_validated_with_full_paths_and_unknowns_pass() {
    let block = Block::new("r")
        .attribute(
            Attribute::optional("port", Type::Number)
                .validate(Validator::Between(1, 10))
                .subject("port number"),
        )
        .block(NestedBlock::list(
            "filter",
            Block::new("f").attribute(
                Attribute::required("kind", Type::String).validate(Validator::OneOf(&["A"])),
            ),
        ));
    let filter =
        |kind: Value| Value::Object(crate::plugin::Attributes::from([("kind".to_owned(), kind)]));
    let value = Value::Object(crate::plugin::Attributes::from([
        ("port".to_owned(), Value::from(11)),
        (
            "filter".to_owned(),
            Value::List(vec![
                filter("A".into()),
                filter("B".into()),
                filter(Value::unknown()),
            ]),
        ),
    ]));
    let diagnostics: Vec<String> = validate_block(&block, &value, &AttributePath::default())
        .iter()
        .map(|d| format!("{}|{}", d.path.clone().unwrap_or_default(), d.summary))
        .collect();
    assert_eq!(
        diagnostics,
        vec![
            "port|Invalid port number".to_owned(),
            "filter[1].kind|Invalid kind".to_owned()
        ]
    );
}

#[test]
fn rules_read_as_sentences() {
    assert_eq!(
        Validator::OneOf(&["A", "B", "C"]).describe(),
        "One of `A`, `B` or `C`."
    );
    assert_eq!(
        Validator::Between(0, 100).describe(),
        "A whole number from `0` to `100`."
    );
    assert_eq!(
        Validator::Keys(Box::new(Validator::Length(1, 128))).describe(),
        "Keys: 1 to 128 characters."
    );
}

#[test]
fn durations_parse() {
    assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
    assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
    assert_eq!(parse_duration("10"), None);
    assert_eq!(parse_duration("5x"), None);
    assert_eq!(parse_duration(""), None);
    assert_eq!(parse_duration("m"), None);
}

#[test]
fn durations_that_overflow_saturate_instead_of_panicking() {
    assert_eq!(
        parse_duration("9999999999999999999s"),
        Some(Duration::from_secs(9_999_999_999_999_999_999))
    );
    for huge in [
        "99999999999999999999s",
        "9999999999999999999h",
        "18446744073709551615s1s",
        "999999999999999999999999999999h30m",
    ] {
        assert_eq!(
            parse_duration(huge),
            Some(Duration::from_secs(u64::MAX)),
            "{huge}"
        );
    }
    assert_eq!(
        parse_duration("0000000000000000000000090s"),
        Some(Duration::from_secs(90))
    );
}

#[test]
fn durations_over_24_hours_are_refused_with_the_limit() {
    assert_eq!(MAX_DURATION, Duration::from_secs(24 * 3600));
    for fine in ["24h", "1440m", "86400s", "23h59m60s", "0s"] {
        assert!(
            errors(&Validator::Duration, fine.into()).is_empty(),
            "{fine}"
        );
    }
    for (too_long, quoted) in [
        ("25h", "\"25h\""),
        ("86401s", "\"86401s\""),
        ("9999999999999999999s", "\"9999999999999999999s\""),
        ("99999999999999999999h", "\"99999999999999999999h\""),
    ] {
        assert_eq!(
            errors(&Validator::Duration, too_long.into()),
            vec![format!(
                "|{quoted} is longer than 24h, the longest duration allowed."
            )],
        );
    }
    assert_eq!(
        errors(&Validator::Duration, "soon".into()),
        vec!["|\"soon\" is not a duration such as \"30s\", \"10m\" or \"1h30m\".".to_owned()]
    );
    assert_eq!(
        Validator::Duration.describe(),
        "A duration such as `30s`, `10m` or `1h30m`, at most `24h`."
    );
}
