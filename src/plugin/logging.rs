//! Logs for Terraform: one hclog-style JSON object per line on stderr, which Terraform re-emits
//! under `provider.<executable>` when `TF_LOG`/`TF_LOG_PROVIDER` enables the level. Nothing may go
//! to stdout, which carries the handshake line.
//!
//! Messages are built by our own code and never include request headers or bodies, so
//! credentials cannot reach a log.

use std::io::Write;

use log::{Level, LevelFilter, Log, Metadata, Record};

struct StderrJson {
    level: LevelFilter,
}

impl Log for StderrJson {
    /// Dependencies (rustls, hyper, h2) log internals at debug level; only their warnings and
    /// errors are useful to a Terraform user.
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.level() <= self.level && (m.level() <= Level::Warn || m.target().starts_with("mfa_providers"))
    }

    fn log(&self, r: &Record<'_>) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let level = match r.level() {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        };
        let line = serde_json::json!({
            "@level": level,
            "@message": r.args().to_string(),
            "@timestamp": timestamp(),
            "@module": r.target(),
        });
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

/// hclog's exact format: `2006-01-02T15:04:05.000000Z07:00` (six fractional digits); anything else
/// makes Terraform fall back to logging the raw line.
fn timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    now.format(fmt).unwrap_or_default()
}

/// The level Terraform asked for: `TF_LOG_PROVIDER` wins over `TF_LOG`; an unrecognised non-empty
/// value means TRACE, as in Terraform itself. Without either, only warnings and errors are written.
pub fn level_from_env(tf_log_provider: Option<&str>, tf_log: Option<&str>) -> LevelFilter {
    let v = tf_log_provider.filter(|s| !s.is_empty()).or(tf_log.filter(|s| !s.is_empty()));
    match v.map(|s| s.trim().to_ascii_uppercase()) {
        None => LevelFilter::Warn,
        Some(s) => match s.as_str() {
            "OFF" => LevelFilter::Off,
            "ERROR" => LevelFilter::Error,
            "WARN" => LevelFilter::Warn,
            "INFO" => LevelFilter::Info,
            "DEBUG" => LevelFilter::Debug,
            _ => LevelFilter::Trace,
        },
    }
}

/// Installs the logger once per process.
pub fn init() {
    let level =
        level_from_env(std::env::var("TF_LOG_PROVIDER").ok().as_deref(), std::env::var("TF_LOG").ok().as_deref());
    if log::set_boxed_logger(Box::new(StderrJson { level })).is_ok() {
        log::set_max_level(level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_level_overrides_global_level() {
        assert_eq!(level_from_env(Some("DEBUG"), Some("TRACE")), LevelFilter::Debug);
        assert_eq!(level_from_env(None, Some("info")), LevelFilter::Info);
        assert_eq!(level_from_env(Some(""), Some("JSON")), LevelFilter::Trace);
        assert_eq!(level_from_env(None, None), LevelFilter::Warn);
    }

    #[test]
    fn timestamp_has_six_fractional_digits() {
        let t = timestamp();
        assert_eq!(t.len(), "2021-07-20T10:00:00.000000Z".len(), "{t}");
        assert!(t.ends_with('Z'));
    }
}
