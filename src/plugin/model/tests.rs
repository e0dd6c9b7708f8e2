//! Round trips between values and models, and the paths in errors.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::*;
use crate::plugin::value::Type;

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Mode {
    Mutable,
    Immutable,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
struct Filter {
    filter: String,
    #[serde(rename = "filter_type")]
    kind: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
struct Model {
    name: String,
    count: i32,
    mode: Mode,
    scan: Option<bool>,
    arn: Known<String>,
    tags: Option<BTreeMap<String, String>>,
    subnets: BTreeSet<String>,
    filters: Vec<Filter>,
    single: Option<Filter>,
}

fn ty() -> Type {
    let filter = Type::object([
        ("filter".to_owned(), Type::String),
        ("filter_type".to_owned(), Type::String),
    ]);
    Type::object([
        ("name".to_owned(), Type::String),
        ("count".to_owned(), Type::Number),
        ("mode".to_owned(), Type::String),
        ("scan".to_owned(), Type::Bool),
        ("arn".to_owned(), Type::String),
        ("tags".to_owned(), Type::map(Type::String)),
        ("subnets".to_owned(), Type::set(Type::String)),
        ("filters".to_owned(), Type::list(filter.clone())),
        ("single".to_owned(), filter),
        ("extra".to_owned(), Type::String),
    ])
}

fn model() -> Model {
    Model {
        name: "app".into(),
        count: 3,
        mode: Mode::Immutable,
        scan: None,
        arn: Known::Unknown,
        tags: Some(BTreeMap::from([("env".to_owned(), "prod".to_owned())])),
        subnets: BTreeSet::from(["subnet-b".to_owned(), "subnet-a".to_owned()]),
        filters: vec![Filter {
            filter: "dev-*".into(),
            kind: "WILDCARD".into(),
        }],
        single: None,
    }
}

#[test]
fn a_model_round_trips_through_a_value_of_its_schema_type() {
    let value = conform(to_value(&model()).unwrap_or(Value::Null), &ty());
    assert_eq!(value.attr("mode"), Some(&Value::from("IMMUTABLE")));
    assert!(value.attr("arn").is_some_and(Value::is_unknown));
    assert_eq!(value.attr("extra"), Some(&Value::Null), "filled in as null");
    assert_eq!(
        value.attr("subnets"),
        Some(&Value::Set(vec!["subnet-a".into(), "subnet-b".into()]))
    );
    // The value encodes under the schema type, so Terraform can read it.
    assert!(crate::plugin::value::encode_msgpack(&value, &ty()).is_ok());
    let back: Model = from_value(&value).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, model());
}

#[test]
fn null_and_unknown_read_as_none_for_options_and_apart_for_known() {
    let mut value = conform(to_value(&model()).unwrap_or(Value::Null), &ty());
    if let Value::Object(map) = &mut value {
        map.insert("scan".into(), Value::unknown());
        map.insert("arn".into(), Value::Null);
    }
    let back: Model = from_value(&value).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.scan, None);
    assert_eq!(back.arn, Known::Null);
}

#[test]
fn a_missing_required_value_is_an_error_at_its_path() {
    let mut value = conform(to_value(&model()).unwrap_or(Value::Null), &ty());
    if let Value::Object(map) = &mut value {
        map.insert("name".into(), Value::unknown());
    }
    let error = from_value::<Model>(&value).err();
    assert_eq!(
        error.map(|e| (e.path.to_string(), e.message)),
        Some(("name".to_owned(), "is not known yet".to_owned()))
    );
}

#[test]
fn errors_inside_nested_blocks_name_the_element() {
    let mut value = conform(to_value(&model()).unwrap_or(Value::Null), &ty());
    if let Value::Object(map) = &mut value {
        map.insert(
            "filters".into(),
            Value::List(vec![Value::Object(crate::plugin::Attributes::from([
                ("filter".to_owned(), Value::from("x")),
                ("filter_type".to_owned(), Value::from(7)),
            ]))]),
        );
        map.insert("mode".into(), Value::from("SOMETIMES"));
    }
    let error = from_value::<Model>(&value)
        .err()
        .map(|e| e.path.to_string());
    // Fields are read in attribute order: `filters` comes before `mode`.
    assert_eq!(error.as_deref(), Some("filters[0].filter_type"));
}

#[test]
fn numbers_must_fit_the_field() {
    #[derive(Debug, Deserialize)]
    struct Port {
        #[allow(dead_code)]
        port: u16,
    }
    let value = Value::Object(crate::plugin::Attributes::from([(
        "port".to_owned(),
        Value::from(70_000),
    )]));
    let error = from_value::<Port>(&value).err();
    assert_eq!(error.map(|e| e.path.to_string()), Some("port".to_owned()));
    let half = Value::Object(crate::plugin::Attributes::from([(
        "port".to_owned(),
        Value::Number("1.5".parse().unwrap_or_default()),
    )]));
    assert!(from_value::<Port>(&half).is_err());
}

#[test]
fn a_model_with_fewer_fields_ignores_the_rest() {
    #[derive(Debug, Deserialize)]
    struct NameOnly {
        name: String,
    }
    let value = conform(to_value(&model()).unwrap_or(Value::Null), &ty());
    let name = from_value::<NameOnly>(&value).map(|m| m.name).ok();
    assert_eq!(name.as_deref(), Some("app"));
}

#[test]
fn unknown_set_elements_stay_apart() {
    let set = Type::set(Type::String);
    let two = Value::Set(vec![Value::unknown(), Value::unknown()]);
    assert_eq!(conform(two.clone(), &set), two);
    let known = Value::List(vec!["b".into(), "a".into(), "b".into()]);
    assert_eq!(
        conform(known, &set),
        Value::Set(vec!["a".into(), "b".into()])
    );
}

#[test]
fn empty_strings_and_null_collections_read_from_old_states() {
    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    struct Old {
        #[serde(with = "crate::plugin::model::empty_as_null")]
        tag: String,
        #[serde(deserialize_with = "crate::plugin::model::null_as_default")]
        subnets: BTreeSet<String>,
    }
    let value = Value::Object(crate::plugin::Attributes::from([
        ("tag".to_owned(), Value::Null),
        ("subnets".to_owned(), Value::Null),
    ]));
    let old: Old = from_value(&value).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(old.tag, "");
    assert!(old.subnets.is_empty());
    let back = to_value(&old).unwrap_or(Value::Null);
    assert_eq!(back.attr("tag"), Some(&Value::Null));
}

#[test]
fn an_object_gains_missing_attributes_as_null_and_loses_foreign_ones_conforming_the_rest() {
    let ty = Type::object([
        ("b".to_owned(), Type::set(Type::String)),
        ("d".to_owned(), Type::String),
        ("f".to_owned(), Type::object([("x".to_owned(), Type::Bool)])),
    ]);
    let unsorted = || Value::List(vec!["z".into(), "y".into(), "z".into()]);
    let sorted = Value::Set(vec!["y".into(), "z".into()]);
    for given in [
        // Missing before, between and after the entries, and foreign ones among them.
        BTreeMap::from([
            ("a".to_owned(), Value::from("foreign")),
            ("b".to_owned(), unsorted()),
            ("c".to_owned(), Value::from(1)),
            ("e".to_owned(), Value::from(true)),
        ]),
        BTreeMap::from([("b".to_owned(), unsorted()), ("g".to_owned(), Value::Null)]),
    ] {
        for value in [
            Value::Object(given.clone().into_iter().collect()),
            Value::Map(given),
        ] {
            assert_eq!(
                conform(value, &ty),
                Value::Object(crate::plugin::Attributes::from([
                    ("b".to_owned(), sorted.clone()),
                    ("d".to_owned(), Value::Null),
                    ("f".to_owned(), Value::Null),
                ]))
            );
        }
    }
    // Exactly the type's attributes: every value conformed, nested objects too.
    let exact = Value::Object(crate::plugin::Attributes::from([
        ("b".to_owned(), unsorted()),
        ("d".to_owned(), Value::from("kept")),
        (
            "f".to_owned(),
            Value::Object(crate::plugin::Attributes::new()),
        ),
    ]));
    assert_eq!(
        conform(exact, &ty),
        Value::Object(crate::plugin::Attributes::from([
            ("b".to_owned(), sorted),
            ("d".to_owned(), Value::from("kept")),
            (
                "f".to_owned(),
                Value::Object(crate::plugin::Attributes::from([(
                    "x".to_owned(),
                    Value::Null
                )]))
            ),
        ]))
    );
}

#[test]
fn errors_in_a_map_name_the_key_and_errors_in_an_object_the_attribute() {
    #[derive(Debug, Deserialize)]
    struct Limits {
        #[allow(dead_code)]
        ports: BTreeMap<String, u16>,
    }
    let value = Value::object([(
        "ports",
        Value::Map(BTreeMap::from([("web".to_owned(), Value::from(70_000))])),
    )]);
    let read = from_value::<Limits>(&value)
        .err()
        .map(|e| e.path.to_string());
    assert_eq!(read.as_deref(), Some(r#"ports["web"]"#));

    // Writing: a value that cannot be written is named by its key in a map, by its field in
    // a struct.
    struct Refused;
    impl Serialize for Refused {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("refused"))
        }
    }
    let written = to_value(&BTreeMap::from([("web", Refused)]))
        .err()
        .map(|e| e.path.to_string());
    assert_eq!(written.as_deref(), Some(r#"["web"]"#));
    #[derive(Serialize)]
    struct Holder {
        port: Refused,
    }
    let written = to_value(&Holder { port: Refused })
        .err()
        .map(|e| e.path.to_string());
    assert_eq!(written.as_deref(), Some("port"));
}
