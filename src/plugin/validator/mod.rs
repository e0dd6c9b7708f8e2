//! Validators as values: small checks attached to an [`Attribute`](super::schema::Attribute)
//! (one of, range, length, pattern, ARN, duration, map keys and values, custom closures), run
//! by the plugin layer on every configuration at `terraform validate` with the full attribute
//! path, nested blocks included, and rendered into the documentation by
//! [`Validator::describe`]. Null and unknown values pass: Terraform validates again once they
//! are known.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::diag::{AttributePath, Diagnostic, Diagnostics};
use super::schema::{Block, Nesting};
use super::value::Value;

/// The longest duration [`Validator::Duration`] accepts: 24 hours. No wait of the provider
/// needs more, and a longer one is much more likely a typo than a wish.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// [`MAX_DURATION`] as the user writes it.
const MAX_DURATION_TEXT: &str = "24h";

/// A check on one string value: `Err` holds the detail shown to the user.
pub type StringCheck = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// One check on an attribute's value.
#[derive(Clone)]
pub enum Validator {
    /// A string that is one of these values.
    OneOf(&'static [&'static str]),
    /// A whole number that is one of these values.
    OneOfNumbers(&'static [i64]),
    /// A whole number from `min` to `max`, both included.
    Between(i64, i64),
    /// A string of `min` to `max` characters.
    Length(usize, usize),
    /// A string that matches a regular expression (anchor it yourself), described in words.
    Pattern {
        /// The expression (regex-lite syntax).
        regex: &'static str,
        /// What a matching value looks like, for the docs and the error.
        meaning: &'static str,
    },
    /// An ARN (`arn:partition:service:region:account:resource`), of one of `services` when
    /// that list is not empty.
    Arn(&'static [&'static str]),
    /// A duration such as `30s`, `10m` or `1h30m` (see [`parse_duration`]), at most
    /// [`MAX_DURATION`].
    Duration,
    /// At least this many elements in a list, set or map.
    MinItems(usize),
    /// At most this many elements in a list, set or map.
    MaxItems(usize),
    /// Checks every key of a map.
    Keys(Box<Validator>),
    /// Checks every element of a map, list or set.
    Elements(Box<Validator>),
    /// Any other check of a string, with the sentence the docs show for it.
    Custom {
        /// The rule in words, such as "A valid image tag: up to 128 letters, ...".
        description: &'static str,
        /// The check.
        check: StringCheck,
    },
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Validator {
    /// A custom check of a string value.
    pub fn custom(
        description: &'static str,
        check: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        Validator::Custom {
            description,
            check: Arc::new(check),
        }
    }

    /// The rule as a sentence for the documentation, such as "One of `A`, `B`."
    pub fn describe(&self) -> String {
        match self {
            Validator::OneOf([only]) => format!("Always `{only}`."),
            Validator::OneOf(values) => format!("One of {}.", code_list(values.iter())),
            Validator::OneOfNumbers(values) => format!("One of {}.", code_list(values.iter())),
            Validator::Between(min, max) => format!("A whole number from `{min}` to `{max}`."),
            Validator::Length(min, max) => format!("{min} to {max} characters."),
            Validator::Pattern { meaning, .. } => format!("{}.", capitalize(meaning)),
            Validator::Arn([]) => "An ARN.".to_owned(),
            Validator::Arn(services) => {
                format!("{} ARN.", capitalize(&article(&code_list(services.iter()))))
            }
            Validator::Duration => {
                format!(
                    "A duration such as `30s`, `10m` or `1h30m`, at most `{MAX_DURATION_TEXT}`."
                )
            }
            Validator::MinItems(min) => format!("At least {}.", elements(*min)),
            Validator::MaxItems(max) => format!("At most {}.", elements(*max)),
            Validator::Keys(inner) => format!("Keys: {}", lowercase_first(&inner.describe())),
            Validator::Elements(inner) => {
                format!("Each element: {}", lowercase_first(&inner.describe()))
            }
            Validator::Custom { description, .. } => (*description).to_owned(),
        }
    }

    /// Checks a known value; each error is a detail at a path relative to the value.
    pub fn check(&self, value: &Value) -> Vec<(AttributePath, String)> {
        let here = |detail: String| vec![(AttributePath::default(), detail)];
        match self {
            Validator::Keys(inner) => match value {
                Value::Map(entries) => entries
                    .keys()
                    .flat_map(|key| {
                        inner
                            .check(&Value::String(key.clone()))
                            .into_iter()
                            .map(move |(_, detail)| (AttributePath::default().key(key), detail))
                    })
                    .collect(),
                _ => Vec::new(),
            },
            Validator::Elements(inner) => match value {
                Value::Map(entries) => entries
                    .iter()
                    .flat_map(|(key, element)| {
                        inner.check(element).into_iter().map(move |(path, detail)| {
                            (path.under(&AttributePath::default().key(key)), detail)
                        })
                    })
                    .collect(),
                Value::List(items) | Value::Set(items) => items
                    .iter()
                    .enumerate()
                    .flat_map(|(i, element)| {
                        let index = i64::try_from(i).unwrap_or(i64::MAX);
                        inner.check(element).into_iter().map(move |(path, detail)| {
                            (path.under(&AttributePath::default().index(index)), detail)
                        })
                    })
                    .collect(),
                _ => Vec::new(),
            },
            Validator::MinItems(min) => match value {
                Value::Map(entries) if entries.len() < *min => here(format!(
                    "At least {min} elements are needed; this has {}.",
                    entries.len()
                )),
                Value::List(items) | Value::Set(items) if items.len() < *min => here(format!(
                    "At least {min} elements are needed; this has {}.",
                    items.len()
                )),
                _ => Vec::new(),
            },
            Validator::MaxItems(max) => match value {
                Value::Map(entries) if entries.len() > *max => here(format!(
                    "At most {max} elements are allowed; this has {}.",
                    entries.len()
                )),
                Value::List(items) | Value::Set(items) if items.len() > *max => here(format!(
                    "At most {max} elements are allowed; this has {}.",
                    items.len()
                )),
                _ => Vec::new(),
            },
            Validator::OneOfNumbers(allowed) => {
                if value.is_null() || value.is_unknown() {
                    return Vec::new();
                }
                match value.as_i64() {
                    Some(n) if allowed.contains(&n) => Vec::new(),
                    _ => here(format!(
                        "{} is not one of {}.",
                        number_text(value),
                        plain_list(allowed.iter())
                    )),
                }
            }
            Validator::Between(min, max) => {
                if value.is_null() || value.is_unknown() {
                    return Vec::new();
                }
                match value.as_i64() {
                    Some(n) if (*min..=*max).contains(&n) => Vec::new(),
                    _ => here(format!("Must be a whole number from {min} to {max}.")),
                }
            }
            string_rule => match value.as_str() {
                Some(text) => string_rule
                    .check_str(text)
                    .err()
                    .map_or_else(Vec::new, here),
                None => Vec::new(),
            },
        }
    }

    fn check_str(&self, text: &str) -> Result<(), String> {
        match self {
            Validator::OneOf(allowed) => {
                if allowed.contains(&text) {
                    Ok(())
                } else {
                    Err(format!("{text:?} is not one of {}.", allowed.join(", ")))
                }
            }
            Validator::Length(min, max) => {
                let length = text.chars().count();
                if (*min..=*max).contains(&length) {
                    Ok(())
                } else {
                    Err(format!(
                        "{text:?} has {length} characters; between {min} and {max} are allowed."
                    ))
                }
            }
            Validator::Pattern { regex, meaning } => {
                // The expressions are constants of the provider: one that does not compile
                // is a bug, reported to the user rather than panicking.
                match compiled(regex) {
                    Ok(re) if re.is_match(text) => Ok(()),
                    Ok(_) => Err(format!("{text:?} is not {meaning}.")),
                    Err(error) => Err(format!(
                        "the provider's pattern {regex:?} is invalid: {error}"
                    )),
                }
            }
            Validator::Arn(services) => {
                let service = text.split(':').nth(2).unwrap_or_default();
                if !is_arn(text) {
                    Err(format!(
                        "{text:?} is not an ARN (arn:partition:service:region:account:resource)."
                    ))
                } else if !services.is_empty() && !services.contains(&service) {
                    Err(format!(
                        "{text:?} is not an ARN of {}.",
                        services.join(" or ")
                    ))
                } else {
                    Ok(())
                }
            }
            Validator::Duration => match parse_duration(text) {
                None => Err(format!(
                    "{text:?} is not a duration such as \"30s\", \"10m\" or \"1h30m\"."
                )),
                Some(duration) if duration > MAX_DURATION => Err(format!(
                    "{text:?} is longer than {MAX_DURATION_TEXT}, the longest duration allowed."
                )),
                Some(_) => Ok(()),
            },
            Validator::Custom { check, .. } => check(text),
            Validator::OneOfNumbers(_)
            | Validator::Between(..)
            | Validator::MinItems(_)
            | Validator::MaxItems(_)
            | Validator::Keys(_)
            | Validator::Elements(_) => Ok(()),
        }
    }
}

/// The compiled form of a pattern, compiled once per process: validation runs for every
/// resource on every `terraform validate` and plan.
fn compiled(pattern: &'static str) -> Result<regex_lite::Regex, regex_lite::Error> {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, regex_lite::Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(regex) = cache.lock().ok().and_then(|c| c.get(pattern).cloned()) {
        return Ok(regex);
    }
    let regex = regex_lite::Regex::new(pattern)?;
    if let Ok(mut cache) = cache.lock() {
        cache.insert(pattern, regex.clone());
    }
    Ok(regex)
}

fn code_list<T: fmt::Display>(values: impl Iterator<Item = T>) -> String {
    let items: Vec<String> = values.map(|v| format!("`{v}`")).collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// `a` or `an` before a word, as it is spoken (`an` before a vowel sound).
fn article(text: &str) -> String {
    let first = text.trim_start_matches('`').chars().next().unwrap_or('x');
    if "aeioAEIO".contains(first) {
        format!("an {text}")
    } else {
        format!("a {text}")
    }
}

/// `1 element`, `50 elements`.
fn elements(count: usize) -> String {
    if count == 1 {
        "1 element".to_owned()
    } else {
        format!("{count} elements")
    }
}

fn plain_list<T: fmt::Display>(values: impl Iterator<Item = T>) -> String {
    values.map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
}

fn number_text(value: &Value) -> String {
    value
        .as_number()
        .map_or_else(|| "The value".to_owned(), ToString::to_string)
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

/// Whether a string is a well-formed ARN (`arn:partition:service:region:account:resource`).
pub fn is_arn(value: &str) -> bool {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty()
}

/// Parses a duration such as `90s`, `10m`, `1h` or `1h30m`. The arithmetic saturates: a
/// number too large to count reads as `u64::MAX` seconds (which
/// [`Validator::Duration`] refuses as too long), never as a panic or a wrapped-around value.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut number: Option<u64> = None;
    let mut seen_unit = false;
    for c in text.trim().chars() {
        if let Some(digit) = c.to_digit(10) {
            let value = number.unwrap_or(0);
            number = Some(value.saturating_mul(10).saturating_add(u64::from(digit)));
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return None,
        };
        total = total.saturating_add(number.take()?.saturating_mul(unit));
        seen_unit = true;
    }
    (number.is_none() && seen_unit).then(|| Duration::from_secs(total))
}

/// Runs the validators of every attribute of `block` (and of its nested blocks) on `value`,
/// an object of the block's type that may hold unknown values.
pub fn validate_block(block: &Block, value: &Value, path: &AttributePath) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    for attribute in &block.attributes {
        let Some(attribute_value) = value.attr(&attribute.name) else {
            continue;
        };
        if attribute_value.is_null() || attribute_value.is_unknown() {
            continue;
        }
        let attribute_path = path.clone().attr(&attribute.name);
        for validator in &attribute.validators {
            for (relative, detail) in validator.check(attribute_value) {
                diagnostics.push(Diagnostic::invalid(
                    relative.under(&attribute_path),
                    format!("Invalid {}", attribute.error_subject()),
                    detail,
                ));
            }
        }
    }
    for nested in &block.blocks {
        let block_path = path.clone().attr(&nested.name);
        match (nested.nesting, value.attr(&nested.name)) {
            (Nesting::Single, Some(object @ Value::Object(_))) => {
                diagnostics.extend(validate_block(&nested.block, object, &block_path));
            }
            (Nesting::List, Some(Value::List(items))) => {
                for (i, item) in items.iter().enumerate() {
                    let index = i64::try_from(i).unwrap_or(i64::MAX);
                    let item_path = block_path.clone().index(index);
                    diagnostics.extend(validate_block(&nested.block, item, &item_path));
                }
            }
            (Nesting::Set, Some(Value::Set(items))) => {
                // Set elements have no index: errors point at the block.
                for item in items {
                    diagnostics.extend(validate_block(&nested.block, item, &block_path));
                }
            }
            _ => {}
        }
    }
    diagnostics
}

#[cfg(test)]
mod tests;
