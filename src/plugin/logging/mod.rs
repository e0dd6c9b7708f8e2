//! Logging to stderr as hclog JSON lines (`@level`, `@message`, `@module`, `@timestamp` and the
//! event's fields), which go-plugin parses so that `TF_LOG=debug terraform plan` shows provider
//! logs at their level. The level comes from `TF_LOG_PROVIDER`, else `TF_LOG`; unset means off.
//!
//! The provider's own events go through the macros of `macros` (`log_debug!` and the others)
//! at every level. The dependencies' events come through tracing, and only at WARN and ERROR,
//! so that they cannot leak request details; release builds compile their events below WARN
//! out (tracing's `release_max_level_warn`), which keeps the binary a quarter of a megabyte
//! smaller.

mod macros;

use std::io::Write as _;
use std::sync::OnceLock;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

pub use tracing::Level;

/// The level chosen at [`init`]; unset (nothing logged) before it and when logging is off.
static MAX_LEVEL: OnceLock<LevelFilter> = OnceLock::new();

/// Parses a Terraform log level (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `JSON`, `OFF`).
pub fn parse_level(value: &str) -> LevelFilter {
    match value.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "WARN" => LevelFilter::WARN,
        "ERROR" => LevelFilter::ERROR,
        _ => LevelFilter::OFF,
    }
}

/// The level the environment asks for.
pub fn level_from_env() -> LevelFilter {
    ["TF_LOG_PROVIDER", "TF_LOG"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .map(|v| parse_level(&v))
        .unwrap_or(LevelFilter::OFF)
}

/// Chooses the level from the environment and installs the hclog logger for the dependencies'
/// events as the global tracing subscriber. Only the first call counts.
pub fn init() {
    let level = level_from_env();
    if MAX_LEVEL.set(level).is_err() || level == LevelFilter::OFF {
        return;
    }
    let _ = tracing_subscriber::registry()
        .with(HclogLayer { max: level })
        .try_init();
}

/// Whether the provider's own events at `level` are logged.
pub fn enabled(level: Level) -> bool {
    MAX_LEVEL.get().is_some_and(|max| *max >= level)
}

/// Writes one of the provider's events (see `macros`) as an hclog line on stderr.
pub fn emit(level: Level, message: &str, fields: Vec<(&'static str, Json)>) {
    write_line(&own_event_line(level, message, fields));
}

/// One of the provider's events as an hclog JSON line.
fn own_event_line(level: Level, message: &str, fields: Vec<(&'static str, Json)>) -> String {
    let fields = fields
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value));
    format_line(level, message, fields.collect())
}

/// A field written with `%`: its `Display` text.
pub fn display<T: std::fmt::Display + ?Sized>(value: &T) -> Json {
    Json::String(value.to_string())
}

/// A field written with `?`: its `Debug` text.
pub fn debug<T: std::fmt::Debug + ?Sized>(value: &T) -> Json {
    Json::String(format!("{value:?}"))
}

/// A field written as a plain value: strings, booleans and integers keep their JSON type.
pub trait FieldValue {
    /// The value as it appears in the hclog line.
    fn field_value(&self) -> Json;
}

impl<T: FieldValue + ?Sized> FieldValue for &T {
    fn field_value(&self) -> Json {
        (**self).field_value()
    }
}

impl FieldValue for str {
    fn field_value(&self) -> Json {
        Json::from(self)
    }
}

impl FieldValue for String {
    fn field_value(&self) -> Json {
        Json::from(self.as_str())
    }
}

macro_rules! field_values {
    ($($type:ty),*) => {
        $(impl FieldValue for $type {
            fn field_value(&self) -> Json {
                Json::from(*self)
            }
        })*
    };
}

field_values!(bool, u32, u64, usize, i32, i64);

/// Writes the dependencies' WARN and ERROR events as hclog JSON lines on stderr.
pub struct HclogLayer {
    max: LevelFilter,
}

impl HclogLayer {
    fn wants(&self, level: &Level) -> bool {
        LevelFilter::WARN >= *level && self.max >= *level
    }
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.wants(metadata.level())
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.max.min(LevelFilter::WARN))
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if self.wants(event.metadata().level()) {
            write_line(&event_line(event));
        }
    }
}

fn write_line(line: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(line.as_bytes());
}

/// A tracing event as an hclog JSON line.
fn event_line(event: &Event<'_>) -> String {
    let mut fields = FieldCollector::default();
    event.record(&mut fields);
    let message = fields.message.unwrap_or_default();
    format_line(*event.metadata().level(), &message, fields.fields)
}

/// One event as an hclog JSON line (with the trailing newline).
fn format_line(level: Level, message: &str, fields: Map<String, Json>) -> String {
    let level = match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    };
    let mut object = Map::new();
    object.insert("@level".into(), Json::from(level));
    object.insert("@message".into(), Json::from(message));
    object.insert("@module".into(), Json::from("provider.todo"));
    object.insert(
        "@timestamp".into(),
        Json::from(humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string()),
    );
    object.extend(fields);
    let mut line = Json::Object(object).to_string();
    line.push('\n');
    line
}

#[derive(Default)]
struct FieldCollector {
    message: Option<String>,
    fields: Map<String, Json>,
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_owned());
        } else {
            self.fields
                .insert(field.name().to_owned(), Json::from(value));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.fields
            .insert(field.name().to_owned(), Json::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.fields
            .insert(field.name().to_owned(), Json::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.fields
            .insert(field.name().to_owned(), Json::from(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.fields
                .insert(field.name().to_owned(), Json::from(text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn levels_follow_terraform_names() {
        assert_eq!(parse_level("debug"), LevelFilter::DEBUG);
        assert_eq!(parse_level("JSON"), LevelFilter::TRACE);
        assert_eq!(parse_level("off"), LevelFilter::OFF);
        assert_eq!(parse_level("nonsense"), LevelFilter::OFF);
    }

    fn parse(line: &str) -> Json {
        assert!(line.ends_with('\n'), "{line:?}");
        serde_json::from_str(line.trim()).unwrap_or(Json::Null)
    }

    #[test]
    fn the_macros_field_forms_become_hclog_fields() {
        let name = "repo";
        let force = true;
        let error = std::io::Error::other("throttled");
        let unknown = vec!["region"];
        let mut fields = Vec::new();
        let line = crate::__hclog_fields!(
            own_event_line,
            Level::INFO,
            fields,
            tf_rpc = "PlanResourceChange",
            count = 2_usize,
            repository = %name,
            settings = ?unknown,
            %error,
            ?force,
            force,
            "deleted ECR repository"
        );
        let parsed = parse(&line);
        assert_eq!(parsed["@level"], "info");
        assert_eq!(parsed["@message"], "deleted ECR repository");
        assert_eq!(parsed["@module"], "provider.todo");
        assert_eq!(parsed["tf_rpc"], "PlanResourceChange");
        assert_eq!(parsed["count"], 2);
        assert_eq!(parsed["repository"], "repo");
        assert_eq!(parsed["settings"], "[\"region\"]");
        assert_eq!(parsed["error"], "throttled");
        assert_eq!(parsed["force"], true);
        assert!(
            parsed["@timestamp"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
    }

    #[test]
    fn a_message_alone_is_an_event() {
        let fields = Vec::new();
        let line =
            crate::__hclog_fields!(own_event_line, Level::DEBUG, fields, "accept loop stopped");
        let parsed = parse(&line);
        assert_eq!(parsed["@level"], "debug");
        assert_eq!(parsed["@message"], "accept loop stopped");
    }

    #[test]
    fn nothing_is_logged_before_the_level_is_chosen() {
        // No test calls init(): the level stays unset, so the macros collect nothing.
        assert!(!enabled(Level::ERROR));
        crate::log_error!(reason = %"never formatted", "not logged");
    }

    /// Captures formatted lines instead of writing to stderr.
    struct Capture(Arc<Mutex<Vec<String>>>);
    impl<S: Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
            if let Ok(mut lines) = self.0.lock() {
                lines.push(event_line(event));
            }
        }
    }

    #[test]
    fn dependency_events_become_hclog_json_lines() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(target: "aws_smithy_runtime", attempts = 3_u64, "retries exhausted");
        });
        let lines = lines.lock().map(|l| l.clone()).unwrap_or_default();
        assert_eq!(lines.len(), 1);
        let parsed = parse(&lines[0]);
        assert_eq!(parsed["@level"], "warn");
        assert_eq!(parsed["@message"], "retries exhausted");
        assert_eq!(parsed["attempts"], 3);
    }

    #[test]
    fn dependencies_are_quiet_below_warn() {
        let layer = HclogLayer {
            max: LevelFilter::TRACE,
        };
        assert!(!layer.wants(&Level::DEBUG));
        assert!(!layer.wants(&Level::INFO));
        assert!(layer.wants(&Level::WARN));
        let quiet = HclogLayer {
            max: LevelFilter::ERROR,
        };
        assert!(!quiet.wants(&Level::WARN));
        assert!(quiet.wants(&Level::ERROR));
    }
}
