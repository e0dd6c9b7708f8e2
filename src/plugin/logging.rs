//! Logging to stderr as hclog JSON lines (`@level`, `@message`, `@module`, `@timestamp` and the
//! event's fields), which go-plugin parses so that `TF_LOG=debug terraform plan` shows provider
//! logs at their level. The level comes from `TF_LOG_PROVIDER`, else `TF_LOG`; unset means off.
//! Only this crate's events are logged below WARN, so dependencies cannot leak request details.

use std::io::Write as _;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// The crate's module path prefix: events from here are logged at the chosen level.
const OWN_TARGET: &str = "terraform_provider_todo";

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

/// Installs the hclog JSON logger as the global subscriber.
pub fn init() {
    let level = level_from_env();
    if level == LevelFilter::OFF {
        return;
    }
    let _ = tracing_subscriber::registry()
        .with(HclogLayer { max: level })
        .try_init();
}

/// Writes each event as one hclog JSON line on stderr.
pub struct HclogLayer {
    max: LevelFilter,
}

impl HclogLayer {
    fn wants(&self, level: &Level, target: &str) -> bool {
        if target.starts_with(OWN_TARGET) {
            self.max >= *level
        } else {
            LevelFilter::WARN >= *level && self.max >= *level
        }
    }
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.wants(metadata.level(), metadata.target())
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.max)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let metadata = event.metadata();
        if !self.wants(metadata.level(), metadata.target()) {
            return;
        }
        let line = format_line(event);
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(line.as_bytes());
    }
}

/// One event as an hclog JSON line (with the trailing newline).
fn format_line(event: &Event<'_>) -> String {
    let metadata = event.metadata();
    let mut fields = FieldCollector::default();
    event.record(&mut fields);
    let mut object = Map::new();
    let level = match *metadata.level() {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    };
    object.insert("@level".into(), Json::from(level));
    object.insert(
        "@message".into(),
        Json::from(fields.message.unwrap_or_default()),
    );
    object.insert("@module".into(), Json::from("provider.todo"));
    object.insert(
        "@timestamp".into(),
        Json::from(humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string()),
    );
    object.extend(fields.fields);
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

    /// Captures formatted lines instead of writing to stderr.
    struct Capture(Arc<Mutex<Vec<String>>>);
    impl<S: Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
            if let Ok(mut lines) = self.0.lock() {
                lines.push(format_line(event));
            }
        }
    }

    #[test]
    fn events_become_hclog_json_lines() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(tf_rpc = "PlanResourceChange", count = 2, "planned");
        });
        let lines = lines.lock().map(|l| l.clone()).unwrap_or_default();
        assert_eq!(lines.len(), 1);
        let parsed: Json = serde_json::from_str(lines[0].trim()).unwrap_or(Json::Null);
        assert_eq!(parsed["@level"], "debug");
        assert_eq!(parsed["@message"], "planned");
        assert_eq!(parsed["tf_rpc"], "PlanResourceChange");
        assert_eq!(parsed["count"], 2);
        assert!(
            parsed["@timestamp"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
    }

    #[test]
    fn dependencies_are_quiet_below_warn() {
        let layer = HclogLayer {
            max: LevelFilter::TRACE,
        };
        assert!(layer.wants(&Level::TRACE, "terraform_provider_todo::plugin"));
        assert!(!layer.wants(&Level::DEBUG, "aws_smithy_runtime::client"));
        assert!(layer.wants(&Level::WARN, "aws_smithy_runtime::client"));
    }
}
