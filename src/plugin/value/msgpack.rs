//! The msgpack codec for cty values: the wire format of tfplugin6
//! `DynamicValue.msgpack`, as go-cty's `cty/msgpack` package reads and writes it.
//!
//! * null is msgpack nil;
//! * an unknown is an extension value: a plain unknown is extension type 0 with one
//!   zero byte (`d4 00 00`); a refined unknown is extension type 12 whose payload is
//!   a map with integer keys (1 nullness, 2 string prefix, 3 / 4 number bounds,
//!   5 / 6 collection length bounds). Readers take any extension as unknown, skip
//!   refinement keys they do not know, and read a malformed refinement as a plain
//!   unknown;
//! * numbers are written as the smallest msgpack int when they are whole and fit an
//!   `i64`, else as a float64 when that is exact, else as their decimal text; any int,
//!   float or decimal string is read;
//! * lists, sets and tuples are arrays; maps and objects are maps with string keys,
//!   objects carrying every attribute of their type in sorted order;
//! * a value of type `dynamic` is the array `[type JSON as bin, value]`.

use std::collections::BTreeMap;
use std::fmt;

use bigdecimal::BigDecimal;
use rmp::Marker;
use rmp::encode as enc;

use super::{Attributes, MAX_DEPTH, Path, Refinement, Type, Value, ValueError, number};

/// The extension type of a plain unknown.
const EXT_UNKNOWN: i8 = 0;
/// The extension type of a refined unknown.
const EXT_REFINED: i8 = 12;
/// go-cty refuses refinement payloads larger than this; they read as plain unknowns.
const MAX_REFINEMENT_LEN: usize = 1024;

/// Refinement map key: nullness (bool; false = definitely not null).
const KEY_NULLNESS: i64 = 1;
/// Refinement map key: string prefix.
const KEY_STRING_PREFIX: i64 = 2;
/// Refinement map key: number lower bound, `[number, inclusive]`.
const KEY_NUMBER_LOWER: i64 = 3;
/// Refinement map key: number upper bound, `[number, inclusive]`.
const KEY_NUMBER_UPPER: i64 = 4;
/// Refinement map key: collection length lower bound.
const KEY_LENGTH_LOWER: i64 = 5;
/// Refinement map key: collection length upper bound.
const KEY_LENGTH_UPPER: i64 = 6;

/// Decodes msgpack `bytes` as a value of type `ty`.
///
/// The bytes must hold exactly one value: trailing bytes are an error.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let mut reader = Reader { buf: bytes };
    let value = decode_value(&mut reader, ty, &Path::ROOT, 0)?;
    if !reader.buf.is_empty() {
        return Err(Path::ROOT.msgpack_error(format!(
            "{} unexpected bytes after the value",
            reader.buf.len()
        )));
    }
    Ok(value)
}

/// Encodes `value` as msgpack under type `ty`, checking that it conforms.
///
/// Object attributes missing from a [`Value::Object`] are written as nil;
/// attributes that the object type does not have are an error. Refinements are
/// written only where the type allows them (a string prefix for strings, number
/// bounds for numbers, length bounds for lists, sets and maps; an unknown of type
/// `dynamic` is always written plain, as go-cty does).
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::new();
    encode_value(&mut out, value, ty, &Path::ROOT, 0)?;
    Ok(out)
}

/// One msgpack item with its scalar payload read; arrays and maps carry only
/// their lengths, and their elements follow in the input.
#[derive(Debug, Clone, Copy)]
enum Head<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    F32(f32),
    F64(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext(i8, &'a [u8]),
}

impl Head<'_> {
    /// What the item is, for error messages.
    fn describe(&self) -> &'static str {
        match self {
            Head::Nil => "nil",
            Head::Bool(_) => "a bool",
            Head::Int(_) | Head::Uint(_) => "an integer",
            Head::F32(_) | Head::F64(_) => "a float",
            Head::Str(_) => "a string",
            Head::Bin(_) => "binary data",
            Head::Array(_) => "an array",
            Head::Map(_) => "a map",
            Head::Ext(..) => "an extension value",
        }
    }
}

/// A cursor over msgpack input that never reads past its end.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        match self.buf.split_at_checked(n) {
            Some((head, rest)) => {
                self.buf = rest;
                Ok(head)
            }
            None => Err(format!(
                "unexpected end of input ({n} bytes needed, {} left)",
                self.buf.len()
            )),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let bytes = self.take(N)?;
        <[u8; N]>::try_from(bytes).map_err(|_| "unexpected end of input".to_owned())
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    fn u16(&mut self) -> Result<usize, String> {
        Ok(usize::from(u16::from_be_bytes(self.array()?)))
    }

    fn u32(&mut self) -> Result<usize, String> {
        let n = u32::from_be_bytes(self.array()?);
        usize::try_from(n).map_err(|_| format!("length {n} does not fit this machine"))
    }

    fn ext(&mut self, len: usize) -> Result<Head<'a>, String> {
        let code = i8::from_be_bytes(self.array()?);
        Ok(Head::Ext(code, self.take(len)?))
    }

    /// Reads the next item's marker and scalar payload.
    fn head(&mut self) -> Result<Head<'a>, String> {
        Ok(match Marker::from_u8(self.u8()?) {
            Marker::FixPos(n) => Head::Int(i64::from(n)),
            Marker::FixNeg(n) => Head::Int(i64::from(n)),
            Marker::Null => Head::Nil,
            Marker::True => Head::Bool(true),
            Marker::False => Head::Bool(false),
            Marker::U8 => Head::Int(i64::from(self.u8()?)),
            Marker::U16 => Head::Int(i64::from(u16::from_be_bytes(self.array()?))),
            Marker::U32 => Head::Int(i64::from(u32::from_be_bytes(self.array()?))),
            Marker::U64 => Head::Uint(u64::from_be_bytes(self.array()?)),
            Marker::I8 => Head::Int(i64::from(i8::from_be_bytes(self.array()?))),
            Marker::I16 => Head::Int(i64::from(i16::from_be_bytes(self.array()?))),
            Marker::I32 => Head::Int(i64::from(i32::from_be_bytes(self.array()?))),
            Marker::I64 => Head::Int(i64::from_be_bytes(self.array()?)),
            Marker::F32 => Head::F32(f32::from_be_bytes(self.array()?)),
            Marker::F64 => Head::F64(f64::from_be_bytes(self.array()?)),
            Marker::FixStr(n) => Head::Str(self.take(usize::from(n))?),
            Marker::Str8 => {
                let n = usize::from(self.u8()?);
                Head::Str(self.take(n)?)
            }
            Marker::Str16 => {
                let n = self.u16()?;
                Head::Str(self.take(n)?)
            }
            Marker::Str32 => {
                let n = self.u32()?;
                Head::Str(self.take(n)?)
            }
            Marker::Bin8 => {
                let n = usize::from(self.u8()?);
                Head::Bin(self.take(n)?)
            }
            Marker::Bin16 => {
                let n = self.u16()?;
                Head::Bin(self.take(n)?)
            }
            Marker::Bin32 => {
                let n = self.u32()?;
                Head::Bin(self.take(n)?)
            }
            Marker::FixArray(n) => Head::Array(usize::from(n)),
            Marker::Array16 => Head::Array(self.u16()?),
            Marker::Array32 => Head::Array(self.u32()?),
            Marker::FixMap(n) => Head::Map(usize::from(n)),
            Marker::Map16 => Head::Map(self.u16()?),
            Marker::Map32 => Head::Map(self.u32()?),
            Marker::FixExt1 => self.ext(1)?,
            Marker::FixExt2 => self.ext(2)?,
            Marker::FixExt4 => self.ext(4)?,
            Marker::FixExt8 => self.ext(8)?,
            Marker::FixExt16 => self.ext(16)?,
            Marker::Ext8 => {
                let n = usize::from(self.u8()?);
                self.ext(n)?
            }
            Marker::Ext16 => {
                let n = self.u16()?;
                self.ext(n)?
            }
            Marker::Ext32 => {
                let n = self.u32()?;
                self.ext(n)?
            }
            Marker::Reserved => return Err("reserved msgpack marker 0xc1".to_owned()),
        })
    }

    /// Skips one whole item, nested items included.
    fn skip(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("nested more than {MAX_DEPTH} levels deep"));
        }
        let count = match self.head()? {
            Head::Array(n) => n,
            Head::Map(n) => n.checked_mul(2).ok_or("map too large")?,
            _ => 0,
        };
        for _ in 0..count {
            self.skip(depth + 1)?;
        }
        Ok(())
    }
}

/// Reads a string (msgpack str, or bin as go's decoder also allows) as UTF-8.
fn utf8<'a>(head: Head<'a>, what: &str) -> Result<&'a str, String> {
    text(string_bytes(head, what)?, what)
}

/// The bytes of a string (msgpack str or bin), not yet checked as UTF-8.
fn string_bytes<'a>(head: Head<'a>, what: &str) -> Result<&'a [u8], String> {
    match head {
        Head::Str(b) | Head::Bin(b) => Ok(b),
        other => Err(format!("expected {what}, found {}", other.describe())),
    }
}

/// A string's bytes as UTF-8.
fn text<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str, String> {
    std::str::from_utf8(bytes).map_err(|e| format!("{what} is not valid UTF-8: {e}"))
}

/// Reads a number from any msgpack int, float or decimal string.
fn number_from(head: Head<'_>) -> Result<BigDecimal, String> {
    match head {
        Head::Int(i) => Ok(BigDecimal::from(i)),
        Head::Uint(u) => Ok(BigDecimal::from(u)),
        Head::F32(f) => number::from_f64(f64::from(f)),
        Head::F64(f) => number::from_f64(f),
        Head::Str(_) | Head::Bin(_) => number::parse(utf8(head, "a number string")?),
        other => Err(format!("expected a number, found {}", other.describe())),
    }
}

fn decode_value(
    r: &mut Reader<'_>,
    ty: &Type,
    path: &Path<'_>,
    depth: usize,
) -> Result<Value, ValueError> {
    path.check_depth(depth)?;
    let head = r.head().map_err(|m| path.msgpack_error(m))?;
    if let Head::Ext(code, payload) = head {
        return Ok(decode_unknown(code, payload, ty));
    }
    if let Head::Nil = head {
        return Ok(Value::Null);
    }
    let expected =
        |what: &str| path.msgpack_error(format!("expected {what}, found {}", head.describe()));
    match ty {
        Type::Dynamic => decode_dynamic(r, head, path, depth),
        Type::String => utf8(head, "a string")
            .map(|s| Value::String(s.to_owned()))
            .map_err(|m| path.msgpack_error(m)),
        Type::Number => number_from(head)
            .map(Value::Number)
            .map_err(|m| path.msgpack_error(m)),
        Type::Bool => match head {
            Head::Bool(b) => Ok(Value::Bool(b)),
            _ => Err(expected("a bool")),
        },
        Type::List(elem) | Type::Set(elem) => {
            let Head::Array(n) = head else {
                return Err(expected(if matches!(ty, Type::List(_)) {
                    "an array (list)"
                } else {
                    "an array (set)"
                }));
            };
            let mut items = Vec::with_capacity(n.min(r.buf.len()));
            for i in 0..n {
                items.push(decode_value(r, elem, &path.index(i), depth + 1)?);
            }
            Ok(if matches!(ty, Type::List(_)) {
                Value::List(items)
            } else {
                Value::Set(items)
            })
        }
        Type::Tuple(elems) => {
            let Head::Array(n) = head else {
                return Err(expected("an array (tuple)"));
            };
            if n != elems.len() {
                return Err(path.msgpack_error(format!(
                    "expected a tuple of {} elements, found {n}",
                    elems.len()
                )));
            }
            let mut items = Vec::with_capacity(n);
            for (i, elem) in elems.iter().enumerate() {
                items.push(decode_value(r, elem, &path.index(i), depth + 1)?);
            }
            Ok(Value::Tuple(items))
        }
        Type::Map(elem) => {
            let Head::Map(n) = head else {
                return Err(expected("a map"));
            };
            let mut entries = BTreeMap::new();
            for _ in 0..n {
                let key = read_key(r, path)?;
                if entries.contains_key(key) {
                    return Err(path.key(key).msgpack_error("duplicate map key"));
                }
                let value = decode_value(r, elem, &path.key(key), depth + 1)?;
                entries.insert(key.to_owned(), value);
            }
            Ok(Value::Map(entries))
        }
        Type::Object(object) => {
            let Head::Map(n) = head else {
                return Err(expected("a map (object)"));
            };
            // Names stay borrowed from the input until the map is built. cty writes them in
            // name order, once each: each type is then found by walking on from the last one,
            // and the entries need no sorting. Other orders are read too, by a search each.
            let mut given: Vec<(&str, Value)> = Vec::with_capacity(n.min(r.buf.len()));
            let mut next_types = object.attributes.iter();
            let mut in_order = true;
            for _ in 0..n {
                let key = read_key_bytes(r, path)?;
                // A name equal to an attribute's is valid UTF-8: only others are checked.
                let (name, found) =
                    match in_order.then(|| type_from(&mut next_types, key)).flatten() {
                        Some((name, ty)) => (name, Some(ty)),
                        None => {
                            in_order = false;
                            let name =
                                text(key, "a string key").map_err(|m| path.msgpack_error(m))?;
                            (name, object.attributes.get(name))
                        }
                    };
                let attr_path = path.attr(name);
                let Some(attr_ty) = found else {
                    return Err(attr_path.msgpack_error("unsupported attribute"));
                };
                let value = decode_value(r, attr_ty, &attr_path, depth + 1)?;
                given.push((name, value));
            }
            if !in_order {
                given.sort_by(|a, b| a.0.cmp(b.0));
                if let Some(pair) = given.windows(2).find(|pair| pair[0].0 == pair[1].0) {
                    return Err(path.attr(pair[0].0).msgpack_error("duplicate attribute"));
                }
            }
            // Every given name is an attribute, and both are sorted: one merge fills in the
            // attributes Terraform left out as null.
            let mut given = given.into_iter().peekable();
            let attrs: Attributes = object
                .attributes
                .keys()
                .map(|name| {
                    let value = given
                        .next_if(|(given_name, _)| *given_name == name.as_str())
                        .map_or(Value::Null, |(_, value)| value);
                    (name.clone(), value)
                })
                .collect();
            Ok(Value::Object(attrs))
        }
    }
}

/// The attribute named `name` (its name and type) if it comes after the attributes `types`
/// has passed, moving `types` past it; `None` (and `types` unmoved) if it does not, for a
/// name out of order, repeated or unknown. Names compare as bytes, in the order of `str`.
fn type_from<'t>(
    types: &mut std::collections::btree_map::Iter<'t, String, Type>,
    name: &[u8],
) -> Option<(&'t str, &'t Type)> {
    let mut ahead = types.clone();
    for (attribute, ty) in ahead.by_ref() {
        match attribute.as_bytes().cmp(name) {
            std::cmp::Ordering::Less => continue,
            std::cmp::Ordering::Equal => {
                *types = ahead;
                return Some((attribute, ty));
            }
            std::cmp::Ordering::Greater => return None,
        }
    }
    None
}

/// Reads a map key or object attribute name, which must be a string.
fn read_key<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Result<&'a str, ValueError> {
    let head = r.head().map_err(|m| path.msgpack_error(m))?;
    utf8(head, "a string key").map_err(|m| path.msgpack_error(m))
}

/// Reads the bytes of a map key or object attribute name (a msgpack str or bin), unchecked.
fn read_key_bytes<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Result<&'a [u8], ValueError> {
    let head = r.head().map_err(|m| path.msgpack_error(m))?;
    string_bytes(head, "a string key").map_err(|m| path.msgpack_error(m))
}

/// Reads `[type JSON, value]`, the form of a known-type value of type `dynamic`.
fn decode_dynamic(
    r: &mut Reader<'_>,
    head: Head<'_>,
    path: &Path<'_>,
    depth: usize,
) -> Result<Value, ValueError> {
    let Head::Array(2) = head else {
        return Err(path.msgpack_error(format!(
            "a dynamic value must be a 2-element array [type, value], found {}",
            match head {
                Head::Array(_) => "an array of another length",
                other => other.describe(),
            }
        )));
    };
    let type_head = r.head().map_err(|m| path.msgpack_error(m))?;
    let type_json = match type_head {
        Head::Str(b) | Head::Bin(b) => b,
        other => {
            return Err(path.msgpack_error(format!(
                "the type of a dynamic value must be type JSON in bin or str, found {}",
                other.describe()
            )));
        }
    };
    let ty = Type::from_json(type_json)
        .map_err(|e| path.msgpack_error(format!("dynamic value has a bad type: {e}")))?;
    let inner = decode_value(r, &ty, path, depth + 1)?;
    Ok(Value::Dynamic(Box::new(ty), Box::new(inner)))
}

/// The unknown value that an extension item stands for.
fn decode_unknown(code: i8, payload: &[u8], ty: &Type) -> Value {
    if code != EXT_REFINED
        || payload.len() <= 1
        || payload.len() > MAX_REFINEMENT_LEN
        || matches!(ty, Type::Dynamic)
    {
        return Value::unknown();
    }
    match decode_refinement(payload, ty) {
        Ok(Some(refinement)) => Value::unknown_with(refinement),
        // "Definitely null": there is only one null value, so it is known.
        Ok(None) => Value::Null,
        Err(_) => Value::unknown(),
    }
}

/// Reads a refinement map; `Ok(None)` means the value is definitely null.
fn decode_refinement(payload: &[u8], ty: &Type) -> Result<Option<Refinement>, String> {
    let mut r = Reader { buf: payload };
    let Head::Map(n) = r.head()? else {
        return Err("refinements are not a map".to_owned());
    };
    let mut out = Refinement::default();
    let mut null = false;
    for _ in 0..n {
        let key = match r.head()? {
            Head::Int(k) => k,
            // A key beyond i64 is no key we know.
            Head::Uint(_) => i64::MAX,
            other => return Err(format!("refinement key is {}", other.describe())),
        };
        match key {
            KEY_NULLNESS => match r.head()? {
                Head::Bool(true) => null = true,
                Head::Bool(false) => out.not_null = true,
                _ => return Err("nullness refinement is not a bool".to_owned()),
            },
            KEY_STRING_PREFIX => {
                if *ty != Type::String {
                    return Err("string prefix refinement on a non-string type".to_owned());
                }
                let head = r.head()?;
                let Head::Str(_) = head else {
                    return Err("string prefix refinement is not a string".to_owned());
                };
                out.string_prefix = Some(utf8(head, "a string prefix")?.to_owned());
            }
            KEY_NUMBER_LOWER | KEY_NUMBER_UPPER => {
                if *ty != Type::Number {
                    return Err("number bound refinement on a non-number type".to_owned());
                }
                let Head::Array(2) = r.head()? else {
                    return Err("number bound is not a [number, bool] array".to_owned());
                };
                let bound = number_from(r.head()?)?;
                let Head::Bool(inclusive) = r.head()? else {
                    return Err("number bound is not a [number, bool] array".to_owned());
                };
                if key == KEY_NUMBER_LOWER {
                    out.number_lower = Some((bound, inclusive));
                } else {
                    out.number_upper = Some((bound, inclusive));
                }
            }
            KEY_LENGTH_LOWER | KEY_LENGTH_UPPER => {
                if !ty.is_collection() {
                    return Err("length refinement on a non-collection type".to_owned());
                }
                let length = match r.head()? {
                    Head::Int(n) => u64::try_from(n).map_err(|_| "negative length bound")?,
                    Head::Uint(n) => n,
                    _ => return Err("length bound is not an integer".to_owned()),
                };
                if key == KEY_LENGTH_LOWER {
                    out.length_lower = Some(length);
                } else {
                    out.length_upper = Some(length);
                }
            }
            _ => r.skip(0)?,
        }
    }
    // Bytes after the map are ignored, as go-cty does, for future extensions.
    Ok(if null { None } else { Some(out) })
}

/// Turns a write error (which a `Vec` never gives) into a [`ValueError`].
fn wrote<T, E: fmt::Display>(result: Result<T, E>, path: &Path<'_>) -> Result<(), ValueError> {
    result
        .map(|_| ())
        .map_err(|e| path.msgpack_error(format!("cannot write msgpack: {e}")))
}

/// A length as the `u32` msgpack headers hold.
fn len32(len: usize, path: &Path<'_>) -> Result<u32, ValueError> {
    u32::try_from(len).map_err(|_| path.mismatch(format!("length {len} is too large for msgpack")))
}

fn write_str(out: &mut Vec<u8>, s: &str, path: &Path<'_>) -> Result<(), ValueError> {
    len32(s.len(), path)?;
    wrote(enc::write_str(out, s), path)
}

fn write_number(out: &mut Vec<u8>, n: &BigDecimal, path: &Path<'_>) -> Result<(), ValueError> {
    number::check_range(n).map_err(|m| path.mismatch(m))?;
    if let Some(i) = number::exact_i64(n) {
        wrote(enc::write_sint(out, i), path)
    } else if let Some(f) = number::exact_f64(n) {
        wrote(enc::write_f64(out, f), path)
    } else {
        let text = number::canonical_string(n).map_err(|m| path.mismatch(m))?;
        write_str(out, &text, path)
    }
}

fn encode_value(
    out: &mut Vec<u8>,
    value: &Value,
    ty: &Type,
    path: &Path<'_>,
    depth: usize,
) -> Result<(), ValueError> {
    path.check_depth(depth)?;
    if let Type::Dynamic = ty {
        return match value {
            Value::Null => wrote(enc::write_nil(out), path),
            // go-cty never refines an unknown of type dynamic.
            Value::Unknown(_) => write_plain_unknown(out, path),
            Value::Dynamic(concrete, inner) => {
                wrote(enc::write_array_len(out, 2), path)?;
                let type_json = concrete.to_json();
                len32(type_json.len(), path)?;
                wrote(enc::write_bin(out, &type_json), path)?;
                encode_value(out, inner, concrete, path, depth + 1)
            }
            other => Err(path.mismatch(format!(
                "a value of type \"dynamic\" must be Value::Dynamic with its concrete type (or null or unknown), found {}",
                other.kind()
            ))),
        };
    }
    match (value, ty) {
        (Value::Null, _) => wrote(enc::write_nil(out), path),
        (Value::Unknown(refinement), _) => write_unknown(out, refinement, ty, path),
        (Value::Bool(b), Type::Bool) => wrote(enc::write_bool(out, *b), path),
        (Value::Number(n), Type::Number) => write_number(out, n, path),
        (Value::String(s), Type::String) => write_str(out, s, path),
        (Value::List(items), Type::List(elem)) | (Value::Set(items), Type::Set(elem)) => {
            wrote(enc::write_array_len(out, len32(items.len(), path)?), path)?;
            for (i, item) in items.iter().enumerate() {
                encode_value(out, item, elem, &path.index(i), depth + 1)?;
            }
            Ok(())
        }
        (Value::Tuple(items), Type::Tuple(elems)) => {
            if items.len() != elems.len() {
                return Err(path.mismatch(format!(
                    "tuple type has {} elements, value has {}",
                    elems.len(),
                    items.len()
                )));
            }
            wrote(enc::write_array_len(out, len32(items.len(), path)?), path)?;
            for (i, (item, elem)) in items.iter().zip(elems).enumerate() {
                encode_value(out, item, elem, &path.index(i), depth + 1)?;
            }
            Ok(())
        }
        (Value::Map(entries), Type::Map(elem)) => {
            wrote(enc::write_map_len(out, len32(entries.len(), path)?), path)?;
            for (key, item) in entries {
                let item_path = path.key(key);
                write_str(out, key, &item_path)?;
                encode_value(out, item, elem, &item_path, depth + 1)?;
            }
            Ok(())
        }
        (Value::Object(attrs), Type::Object(object)) => {
            wrote(
                enc::write_map_len(out, len32(object.attributes.len(), path)?),
                path,
            )?;
            // Both are sorted by name: one walk pairs each attribute of the type with its
            // value (null where the value has none) and finds a value the type has no
            // attribute for.
            let mut given = attrs.iter().peekable();
            for (name, attr_ty) in &object.attributes {
                if let Some((extra, _)) = given.next_if(|(given, _)| *given < name) {
                    return Err(path
                        .attr(extra)
                        .mismatch("the object type has no such attribute"));
                }
                let attr_path = path.attr(name);
                write_str(out, name, &attr_path)?;
                match given.next_if(|(given, _)| *given == name) {
                    Some((_, item)) => encode_value(out, item, attr_ty, &attr_path, depth + 1)?,
                    None => wrote(enc::write_nil(out), &attr_path)?,
                }
            }
            if let Some((extra, _)) = given.next() {
                return Err(path
                    .attr(extra)
                    .mismatch("the object type has no such attribute"));
            }
            Ok(())
        }
        (value, ty) => Err(path.mismatch(format!(
            "expected a value of type {ty}, found {}",
            value.kind()
        ))),
    }
}

/// Writes `d4 00 00`, the plain unknown.
fn write_plain_unknown(out: &mut Vec<u8>, path: &Path<'_>) -> Result<(), ValueError> {
    wrote(enc::write_ext_meta(out, 1, EXT_UNKNOWN), path)?;
    out.push(0);
    Ok(())
}

/// Writes an unknown: plain if nothing is known, else extension 12 with the
/// refinements that are set, in key order.
fn write_unknown(
    out: &mut Vec<u8>,
    refinement: &Refinement,
    ty: &Type,
    path: &Path<'_>,
) -> Result<(), ValueError> {
    if refinement.is_empty() {
        return write_plain_unknown(out, path);
    }
    if refinement.string_prefix.is_some() && *ty != Type::String {
        return Err(path.mismatch(format!(
            "a string prefix refinement needs type \"string\", not {ty}"
        )));
    }
    if (refinement.number_lower.is_some() || refinement.number_upper.is_some())
        && *ty != Type::Number
    {
        return Err(path.mismatch(format!(
            "a number bound refinement needs type \"number\", not {ty}"
        )));
    }
    if (refinement.length_lower.is_some() || refinement.length_upper.is_some())
        && !ty.is_collection()
    {
        return Err(path.mismatch(format!(
            "a length refinement needs a list, set or map type, not {ty}"
        )));
    }

    let mut body = Vec::new();
    let count = u32::from(refinement.not_null)
        + u32::from(refinement.string_prefix.is_some())
        + u32::from(refinement.number_lower.is_some())
        + u32::from(refinement.number_upper.is_some())
        + u32::from(refinement.length_lower.is_some())
        + u32::from(refinement.length_upper.is_some());
    wrote(enc::write_map_len(&mut body, count), path)?;
    if refinement.not_null {
        wrote(enc::write_sint(&mut body, KEY_NULLNESS), path)?;
        wrote(enc::write_bool(&mut body, false), path)?;
    }
    if let Some(prefix) = &refinement.string_prefix {
        wrote(enc::write_sint(&mut body, KEY_STRING_PREFIX), path)?;
        write_str(&mut body, prefix, path)?;
    }
    for (key, bound) in [
        (KEY_NUMBER_LOWER, &refinement.number_lower),
        (KEY_NUMBER_UPPER, &refinement.number_upper),
    ] {
        if let Some((n, inclusive)) = bound {
            wrote(enc::write_sint(&mut body, key), path)?;
            wrote(enc::write_array_len(&mut body, 2), path)?;
            write_number(&mut body, n, path)?;
            wrote(enc::write_bool(&mut body, *inclusive), path)?;
        }
    }
    for (key, bound) in [
        (KEY_LENGTH_LOWER, refinement.length_lower),
        (KEY_LENGTH_UPPER, refinement.length_upper),
    ] {
        if let Some(n) = bound {
            wrote(enc::write_sint(&mut body, key), path)?;
            wrote(enc::write_uint(&mut body, n), path)?;
        }
    }
    wrote(
        enc::write_ext_meta(out, len32(body.len(), path)?, EXT_REFINED),
        path,
    )?;
    out.extend_from_slice(&body);
    Ok(())
}

#[cfg(test)]
mod object_tests {
    //! Objects whose attributes arrive out of name order, repeated or missing (cty writes
    //! them in order, once each; the decoder must not depend on it).

    use super::*;

    fn object_type() -> Type {
        Type::object([
            ("a".to_owned(), Type::Bool),
            ("b".to_owned(), Type::String),
            ("c".to_owned(), Type::Bool),
        ])
    }

    fn encode(pairs: &[(&str, Option<bool>)]) -> Vec<u8> {
        let mut bytes = Vec::new();
        let len = u32::try_from(pairs.len()).unwrap();
        rmp::encode::write_map_len(&mut bytes, len).unwrap();
        for (name, value) in pairs {
            rmp::encode::write_str(&mut bytes, name).unwrap();
            match value {
                Some(b) => rmp::encode::write_bool(&mut bytes, *b).unwrap(),
                None => rmp::encode::write_str(&mut bytes, "text").unwrap(),
            }
        }
        bytes
    }

    #[test]
    fn attributes_out_of_order_decode_as_in_order_and_missing_ones_are_null() {
        let ty = object_type();
        let in_order = decode_msgpack(&encode(&[("a", Some(true)), ("c", Some(false))]), &ty);
        let reversed = decode_msgpack(&encode(&[("c", Some(false)), ("a", Some(true))]), &ty);
        let in_order = in_order.unwrap();
        assert_eq!(in_order, reversed.unwrap());
        let Value::Object(attrs) = in_order else {
            panic!("an object: {in_order:?}");
        };
        assert_eq!(attrs.get("a"), Some(&Value::Bool(true)));
        assert_eq!(attrs.get("b"), Some(&Value::Null));
        assert_eq!(attrs.get("c"), Some(&Value::Bool(false)));
        let all = decode_msgpack(
            &encode(&[("b", None), ("c", Some(true)), ("a", Some(false))]),
            &ty,
        )
        .unwrap();
        let Value::Object(attrs) = all else {
            panic!("an object: {all:?}");
        };
        assert_eq!(attrs.get("b"), Some(&Value::String("text".to_owned())));
    }

    #[test]
    fn a_repeated_attribute_is_refused_with_its_path() {
        for pairs in [
            &[("c", Some(true)), ("a", Some(true)), ("c", Some(false))][..],
            // In order otherwise: the repeat is caught all the same.
            &[("a", Some(true)), ("c", Some(true)), ("c", Some(false))][..],
        ] {
            let error = decode_msgpack(&encode(pairs), &object_type())
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("duplicate attribute") && error.contains(".c"),
                "{error}"
            );
        }
    }

    #[test]
    fn an_unknown_attribute_is_refused_in_order_or_not() {
        for (pairs, unknown) in [
            (&[("a", Some(true)), ("bb", Some(true))][..], ".bb"),
            (&[("c", Some(true)), ("bb", Some(true))][..], ".bb"),
            (&[("d", Some(true))][..], ".d"),
        ] {
            let error = decode_msgpack(&encode(pairs), &object_type())
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("unsupported attribute") && error.contains(unknown),
                "{error}"
            );
        }
    }

    #[test]
    fn a_type_is_found_by_walking_on_and_nothing_out_of_order_moves_the_walk() {
        let ty = object_type();
        let Type::Object(object) = &ty else {
            panic!("an object type")
        };
        let mut types = object.attributes.iter();
        assert_eq!(type_from(&mut types, b"b"), Some(("b", &Type::String)));
        assert_eq!(type_from(&mut types, b"a"), None, "behind the walk");
        assert_eq!(type_from(&mut types, b"bb"), None, "not an attribute");
        assert_eq!(type_from(&mut types, b"c"), Some(("c", &Type::Bool)));
        assert_eq!(type_from(&mut types, b"c"), None, "passed already");
    }
}
