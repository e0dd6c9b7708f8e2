//! The provider's own log macros: [`log_debug!`](crate::log_debug), [`log_info!`](crate::log_info),
//! [`log_warn!`](crate::log_warn) and [`log_error!`](crate::log_error), with the field syntax of
//! tracing's macros (`name = %display`, `name = ?debug`, `name = value`, `%name`, `?name`,
//! `name`, then the message). They write through [`super::emit`], not through tracing, so that
//! release builds can compile the dependencies' events below WARN out of the binary (the
//! logger drops them anyway) while keeping every level of the provider's own.

/// Logs one of the provider's events at DEBUG (see [`crate::plugin::logging`]).
#[macro_export]
macro_rules! log_debug {
    ($($event:tt)+) => { $crate::__hclog_event!($crate::plugin::logging::Level::DEBUG, $($event)+) };
}

/// Logs one of the provider's events at INFO (see [`crate::plugin::logging`]).
#[macro_export]
macro_rules! log_info {
    ($($event:tt)+) => { $crate::__hclog_event!($crate::plugin::logging::Level::INFO, $($event)+) };
}

/// Logs one of the provider's events at WARN (see [`crate::plugin::logging`]).
#[macro_export]
macro_rules! log_warn {
    ($($event:tt)+) => { $crate::__hclog_event!($crate::plugin::logging::Level::WARN, $($event)+) };
}

/// Logs one of the provider's events at ERROR (see [`crate::plugin::logging`]).
#[macro_export]
macro_rules! log_error {
    ($($event:tt)+) => { $crate::__hclog_event!($crate::plugin::logging::Level::ERROR, $($event)+) };
}

/// Collects the fields only when the level is logged, then hands the event to
/// [`crate::plugin::logging::emit`].
#[doc(hidden)]
#[macro_export]
macro_rules! __hclog_event {
    ($level:expr, $($event:tt)+) => {
        if $crate::plugin::logging::enabled($level) {
            #[allow(unused_mut)]
            let mut fields = ::std::vec::Vec::new();
            $crate::__hclog_fields!($crate::plugin::logging::emit, $level, fields, $($event)+);
        }
    };
}

/// One field at a time, then the message: `$sink($level, message, fields)`.
#[doc(hidden)]
#[macro_export]
macro_rules! __hclog_fields {
    ($sink:path, $level:expr, $fields:ident, $message:literal $(,)?) => {
        $sink($level, $message, $fields)
    };
    ($sink:path, $level:expr, $fields:ident, $name:ident = %$value:expr, $($rest:tt)+) => {{
        $fields.push((stringify!($name), $crate::plugin::logging::display(&$value)));
        $crate::__hclog_fields!($sink, $level, $fields, $($rest)+)
    }};
    ($sink:path, $level:expr, $fields:ident, $name:ident = ?$value:expr, $($rest:tt)+) => {{
        $fields.push((stringify!($name), $crate::plugin::logging::debug(&$value)));
        $crate::__hclog_fields!($sink, $level, $fields, $($rest)+)
    }};
    ($sink:path, $level:expr, $fields:ident, $name:ident = $value:expr, $($rest:tt)+) => {{
        $fields.push((stringify!($name), $crate::plugin::logging::FieldValue::field_value(&$value)));
        $crate::__hclog_fields!($sink, $level, $fields, $($rest)+)
    }};
    ($sink:path, $level:expr, $fields:ident, %$name:ident, $($rest:tt)+) => {{
        $fields.push((stringify!($name), $crate::plugin::logging::display(&$name)));
        $crate::__hclog_fields!($sink, $level, $fields, $($rest)+)
    }};
    ($sink:path, $level:expr, $fields:ident, ?$name:ident, $($rest:tt)+) => {{
        $fields.push((stringify!($name), $crate::plugin::logging::debug(&$name)));
        $crate::__hclog_fields!($sink, $level, $fields, $($rest)+)
    }};
    ($sink:path, $level:expr, $fields:ident, $name:ident, $($rest:tt)+) => {{
        $fields.push((stringify!($name), $crate::plugin::logging::FieldValue::field_value(&$name)));
        $crate::__hclog_fields!($sink, $level, $fields, $($rest)+)
    }};
}
