//! The JSON forms of cty types and values.
//!
//! * Type JSON, as in schemas and dynamic values: `"string"`, `"number"`, `"bool"`,
//!   `"dynamic"`, `["list",T]`, `["set",T]`, `["map",T]`, `["tuple",[T...]]`,
//!   `["object",{"attr":T,...}]`, optionally with a third element listing optional
//!   attributes: `["object",{...},["a","b"]]`.
//! * Value JSON, as in raw state (`UpgradeResourceState`) and go-cty's
//!   `cty/json`: null, strings, numbers (a JSON number, or a string holding one),
//!   bools, arrays for lists, sets and tuples, objects for maps and objects (missing
//!   attributes read as null), and `{"value": ..., "type": T}` for a value of type
//!   `dynamic`. JSON has no unknown values.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{Attributes, MAX_DEPTH, ObjectType, Path, Type, Value, ValueError, number};

impl Type {
    /// The compact type JSON of this type, as go-cty writes it: no spaces, object
    /// attributes in sorted order, optional attributes (if any) sorted in a third
    /// element.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = String::new();
        write_type(&mut out, self);
        out.into_bytes()
    }

    /// Parses type JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Type, ValueError> {
        let json: Json = serde_json::from_slice(bytes)
            .map_err(|e| ValueError::TypeJson(format!("not valid JSON: {e}")))?;
        type_from_json(&json, 0).map_err(ValueError::TypeJson)
    }
}

fn write_type(out: &mut String, ty: &Type) {
    match ty {
        Type::String => out.push_str("\"string\""),
        Type::Number => out.push_str("\"number\""),
        Type::Bool => out.push_str("\"bool\""),
        Type::Dynamic => out.push_str("\"dynamic\""),
        Type::List(elem) | Type::Set(elem) | Type::Map(elem) => {
            out.push_str(match ty {
                Type::List(_) => "[\"list\",",
                Type::Set(_) => "[\"set\",",
                _ => "[\"map\",",
            });
            write_type(out, elem);
            out.push(']');
        }
        Type::Tuple(elems) => {
            out.push_str("[\"tuple\",[");
            for (i, elem) in elems.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_type(out, elem);
            }
            out.push_str("]]");
        }
        Type::Object(object) => {
            out.push_str("[\"object\",{");
            for (i, (name, attr_ty)) in object.attributes.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, name);
                out.push(':');
                write_type(out, attr_ty);
            }
            out.push('}');
            if !object.optional.is_empty() {
                out.push_str(",[");
                for (i, name) in object.optional.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_json_string(out, name);
                }
                out.push(']');
            }
            out.push(']');
        }
    }
}

/// Reads a type from parsed type JSON.
fn type_from_json(json: &Json, depth: usize) -> Result<Type, String> {
    if depth > MAX_DEPTH {
        return Err(format!("type nested more than {MAX_DEPTH} levels deep"));
    }
    let items = match json {
        Json::String(name) => {
            return match name.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(format!("unknown primitive type {other:?}")),
            };
        }
        Json::Array(items) => items,
        _ => return Err("a type must be a string or an array".to_owned()),
    };
    let Some(Json::String(kind)) = items.first() else {
        return Err("a complex type must be an array starting with its kind".to_owned());
    };
    match (kind.as_str(), items.as_slice()) {
        ("list", [_, elem]) => Ok(Type::list(type_from_json(elem, depth + 1)?)),
        ("set", [_, elem]) => Ok(Type::set(type_from_json(elem, depth + 1)?)),
        ("map", [_, elem]) => Ok(Type::map(type_from_json(elem, depth + 1)?)),
        ("tuple", [_, elems]) => match elems {
            Json::Array(elems) => elems
                .iter()
                .map(|e| type_from_json(e, depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(Type::Tuple),
            // go writes a nil slice as null.
            Json::Null => Ok(Type::Tuple(Vec::new())),
            _ => Err("tuple element types must be an array".to_owned()),
        },
        ("object", [_, attrs]) => object_from_json(attrs, None, depth),
        ("object", [_, attrs, optional]) => object_from_json(attrs, Some(optional), depth),
        ("list" | "set" | "map" | "tuple", _) => {
            Err(format!("a {kind} type must be a 2-element array"))
        }
        ("object", _) => Err("an object type must be a 2- or 3-element array".to_owned()),
        (other, _) => Err(format!("unknown type kind {other:?}")),
    }
}

fn object_from_json(attrs: &Json, optional: Option<&Json>, depth: usize) -> Result<Type, String> {
    let mut object = ObjectType::default();
    match attrs {
        Json::Object(attrs) => {
            for (name, attr_ty) in attrs {
                let attr_ty = type_from_json(attr_ty, depth + 1)
                    .map_err(|e| format!("attribute {name:?}: {e}"))?;
                object.attributes.insert(name.clone(), attr_ty);
            }
        }
        // go writes a nil map as null.
        Json::Null => {}
        _ => return Err("object attribute types must be a JSON object".to_owned()),
    }
    match optional {
        None | Some(Json::Null) => {}
        Some(Json::Array(names)) => {
            for name in names {
                let Json::String(name) = name else {
                    return Err("optional attribute names must be strings".to_owned());
                };
                if !object.attributes.contains_key(name) {
                    return Err(format!(
                        "optional attribute {name:?} is not an attribute of the object"
                    ));
                }
                object.optional.insert(name.clone());
            }
        }
        Some(_) => return Err("optional attribute names must be an array".to_owned()),
    }
    Ok(Type::Object(object))
}

/// Appends `s` as a JSON string literal, quotes included.
pub(crate) fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Options for [`decode_json_with_options`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonDecodeOptions {
    /// Skip object attributes that the type does not have instead of failing, as
    /// needed when raw state was written by an older schema that had attributes
    /// since removed.
    pub ignore_undefined_attributes: bool,
}

/// Decodes JSON `bytes` (such as raw state) as a value of type `ty`. Object
/// attributes that the type lacks are an error; see [`decode_json_with_options`].
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    decode_json_with_options(bytes, ty, JsonDecodeOptions::default())
}

/// Decodes JSON `bytes` as a value of type `ty`, with options.
pub fn decode_json_with_options(
    bytes: &[u8],
    ty: &Type,
    options: JsonDecodeOptions,
) -> Result<Value, ValueError> {
    let json: Json = serde_json::from_slice(bytes)
        .map_err(|e| Path::ROOT.json_error(format!("not valid JSON: {e}")))?;
    decode_value(&json, ty, &Path::ROOT, 0, options)
}

fn decode_value(
    json: &Json,
    ty: &Type,
    path: &Path<'_>,
    depth: usize,
    options: JsonDecodeOptions,
) -> Result<Value, ValueError> {
    path.check_depth(depth)?;
    if json.is_null() {
        return Ok(Value::Null);
    }
    let expected =
        |what: &str| path.json_error(format!("expected {what}, found {}", describe(json)));
    match ty {
        Type::Dynamic => decode_dynamic(json, path, depth, options),
        Type::String => match json {
            Json::String(s) => Ok(Value::String(s.clone())),
            // go-cty converts numbers and bools to strings here.
            Json::Number(n) => Ok(Value::String(n.as_str().to_owned())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(expected("a string")),
        },
        Type::Number => match json {
            Json::Number(n) => number::parse(n.as_str()),
            Json::String(s) => number::parse(s),
            _ => return Err(expected("a number")),
        }
        .map(Value::Number)
        .map_err(|m| path.json_error(m)),
        Type::Bool => match json {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) if s == "true" => Ok(Value::Bool(true)),
            Json::String(s) if s == "false" => Ok(Value::Bool(false)),
            _ => Err(expected("a bool")),
        },
        Type::List(elem) | Type::Set(elem) => {
            let Json::Array(items) = json else {
                return Err(expected("an array"));
            };
            let items = items
                .iter()
                .enumerate()
                .map(|(i, item)| decode_value(item, elem, &path.index(i), depth + 1, options))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::List(_)) {
                Value::List(items)
            } else {
                Value::Set(items)
            })
        }
        Type::Tuple(elems) => {
            let Json::Array(items) = json else {
                return Err(expected("an array (tuple)"));
            };
            if items.len() != elems.len() {
                return Err(path.json_error(format!(
                    "expected a tuple of {} elements, found {}",
                    elems.len(),
                    items.len()
                )));
            }
            let items = items
                .iter()
                .zip(elems)
                .enumerate()
                .map(|(i, (item, elem))| {
                    decode_value(item, elem, &path.index(i), depth + 1, options)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(items))
        }
        Type::Map(elem) => {
            let Json::Object(entries) = json else {
                return Err(expected("an object (map)"));
            };
            let mut out = BTreeMap::new();
            for (key, item) in entries {
                let value = decode_value(item, elem, &path.key(key), depth + 1, options)?;
                out.insert(key.clone(), value);
            }
            Ok(Value::Map(out))
        }
        Type::Object(object) => {
            let Json::Object(entries) = json else {
                return Err(expected("an object"));
            };
            let mut attrs = Attributes::with_capacity(object.attributes.len());
            for (name, item) in entries {
                let attr_path = path.attr(name);
                let Some(attr_ty) = object.attributes.get(name) else {
                    if options.ignore_undefined_attributes {
                        continue;
                    }
                    return Err(attr_path.json_error("unsupported attribute"));
                };
                let value = decode_value(item, attr_ty, &attr_path, depth + 1, options)?;
                attrs.insert(name.clone(), value);
            }
            for name in object.attributes.keys() {
                if !attrs.contains_key(name) {
                    attrs.insert(name.clone(), Value::Null);
                }
            }
            Ok(Value::Object(attrs))
        }
    }
}

/// Reads `{"value": ..., "type": T}`, the form of a known-type value of type
/// `dynamic`.
fn decode_dynamic(
    json: &Json,
    path: &Path<'_>,
    depth: usize,
    options: JsonDecodeOptions,
) -> Result<Value, ValueError> {
    let Json::Object(fields) = json else {
        return Err(path.json_error(format!(
            "a dynamic value must be an object {{\"value\": ..., \"type\": ...}}, found {}",
            describe(json)
        )));
    };
    if let Some(other) = fields.keys().find(|k| *k != "value" && *k != "type") {
        return Err(path.json_error(format!("invalid key {other:?} in a dynamic value")));
    }
    let Some(type_json) = fields.get("type") else {
        return Err(path.json_error("dynamic value has no \"type\""));
    };
    let Some(value_json) = fields.get("value") else {
        return Err(path.json_error("dynamic value has no \"value\""));
    };
    let ty = type_from_json(type_json, 0)
        .map_err(|e| path.json_error(format!("dynamic value has a bad type: {e}")))?;
    let inner = decode_value(value_json, &ty, path, depth + 1, options)?;
    Ok(Value::Dynamic(Box::new(ty), Box::new(inner)))
}

/// What a JSON value is, for error messages.
fn describe(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Encodes `value` as JSON under type `ty`, checking that it conforms. Object
/// attributes missing from a [`Value::Object`] are written as null; unknown values
/// are an error, since JSON cannot hold them.
pub fn encode_json(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut out = String::new();
    encode_value(&mut out, value, ty, &Path::ROOT, 0)?;
    Ok(out.into_bytes())
}

fn encode_value(
    out: &mut String,
    value: &Value,
    ty: &Type,
    path: &Path<'_>,
    depth: usize,
) -> Result<(), ValueError> {
    path.check_depth(depth)?;
    if let Type::Dynamic = ty {
        return match value {
            Value::Null => {
                out.push_str("null");
                Ok(())
            }
            Value::Unknown(_) => Err(ValueError::UnknownInJson {
                path: path.render(),
            }),
            Value::Dynamic(concrete, inner) => {
                out.push_str("{\"value\":");
                encode_value(out, inner, concrete, path, depth + 1)?;
                out.push_str(",\"type\":");
                write_type(out, concrete);
                out.push('}');
                Ok(())
            }
            other => Err(path.mismatch(format!(
                "a value of type \"dynamic\" must be Value::Dynamic with its concrete type (or null), found {}",
                other.kind()
            ))),
        };
    }
    match (value, ty) {
        (Value::Null, _) => out.push_str("null"),
        (Value::Unknown(_), _) => {
            return Err(ValueError::UnknownInJson {
                path: path.render(),
            });
        }
        (Value::Bool(b), Type::Bool) => out.push_str(if *b { "true" } else { "false" }),
        (Value::Number(n), Type::Number) => {
            out.push_str(&number::canonical_string(n).map_err(|m| path.mismatch(m))?);
        }
        (Value::String(s), Type::String) => push_json_string(out, s),
        (Value::List(items), Type::List(elem)) | (Value::Set(items), Type::Set(elem)) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode_value(out, item, elem, &path.index(i), depth + 1)?;
            }
            out.push(']');
        }
        (Value::Tuple(items), Type::Tuple(elems)) => {
            if items.len() != elems.len() {
                return Err(path.mismatch(format!(
                    "tuple type has {} elements, value has {}",
                    elems.len(),
                    items.len()
                )));
            }
            out.push('[');
            for (i, (item, elem)) in items.iter().zip(elems).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode_value(out, item, elem, &path.index(i), depth + 1)?;
            }
            out.push(']');
        }
        (Value::Map(entries), Type::Map(elem)) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, key);
                out.push(':');
                encode_value(out, item, elem, &path.key(key), depth + 1)?;
            }
            out.push('}');
        }
        (Value::Object(attrs), Type::Object(object)) => {
            if let Some(extra) = attrs.keys().find(|k| !object.attributes.contains_key(*k)) {
                return Err(path
                    .attr(extra)
                    .mismatch("the object type has no such attribute"));
            }
            out.push('{');
            for (i, (name, attr_ty)) in object.attributes.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, name);
                out.push(':');
                match attrs.get(name) {
                    Some(item) => encode_value(out, item, attr_ty, &path.attr(name), depth + 1)?,
                    None => out.push_str("null"),
                }
            }
            out.push('}');
        }
        (value, ty) => {
            return Err(path.mismatch(format!(
                "expected a value of type {ty}, found {}",
                value.kind()
            )));
        }
    }
    Ok(())
}
