//! Diagnostics: the only way errors reach the user. Every error a user can act on becomes a
//! diagnostic (with an attribute path when one attribute is to blame); gRPC status errors are
//! reserved for transport faults: Terraform shows a gRPC error as a bare `rpc error` with no
//! attribute or advice (`internal/plugin/grpc_error.go` turns it into one diagnostic).

use std::fmt;

use crate::proto::tfplugin5 as pb;

/// One step into a value: an attribute, a map key or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Attr(String),
    Key(String),
    Index(i64),
}

/// Where inside a configuration a diagnostic points; Terraform underlines that source range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttrPath(pub Vec<PathStep>);

impl AttrPath {
    pub fn root() -> Self {
        AttrPath(Vec::new())
    }
    pub fn attr(name: impl Into<String>) -> Self {
        AttrPath(vec![PathStep::Attr(name.into())])
    }
    pub fn then_attr(mut self, name: impl Into<String>) -> Self {
        self.0.push(PathStep::Attr(name.into()));
        self
    }
    pub fn then_key(mut self, key: impl Into<String>) -> Self {
        self.0.push(PathStep::Key(key.into()));
        self
    }
    pub fn then_index(mut self, i: i64) -> Self {
        self.0.push(PathStep::Index(i));
        self
    }
    pub fn prepend(mut self, step: PathStep) -> Self {
        self.0.insert(0, step);
        self
    }
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_proto(&self) -> pb::AttributePath {
        use pb::attribute_path::step::Selector;
        pb::AttributePath {
            steps: self
                .0
                .iter()
                .map(|s| pb::attribute_path::Step {
                    selector: Some(match s {
                        PathStep::Attr(a) => Selector::AttributeName(a.clone()),
                        PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                        PathStep::Index(i) => Selector::ElementKeyInt(*i),
                    }),
                })
                .collect(),
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                PathStep::Attr(a) if i == 0 => f.write_str(a)?,
                PathStep::Attr(a) => write!(f, ".{a}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttrPath>,
}

impl Diagnostic {
    pub fn to_proto(&self) -> pb::Diagnostic {
        pb::Diagnostic {
            severity: match self.severity {
                Severity::Error => pb::diagnostic::Severity::Error as i32,
                Severity::Warning => pb::diagnostic::Severity::Warning as i32,
            },
            summary: self.summary.clone(),
            detail: self.detail.clone(),
            attribute: self.path.as_ref().filter(|p| !p.is_root()).map(AttrPath::to_proto),
        }
    }
}

/// Collected diagnostics of one operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary, detail, None);
    }

    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary, detail, None);
    }

    pub fn attr_error(&mut self, path: AttrPath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary, detail, Some(path));
    }

    pub fn attr_warning(&mut self, path: AttrPath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary, detail, Some(path));
    }

    fn push(
        &mut self,
        severity: Severity,
        summary: impl Into<String>,
        detail: impl Into<String>,
        path: Option<AttrPath>,
    ) {
        self.0.push(Diagnostic { severity, summary: summary.into(), detail: detail.into(), path });
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn to_proto(&self) -> Vec<pb::Diagnostic> {
        self.0.iter().map(Diagnostic::to_proto).collect()
    }
}

/// An error that knows how to present itself to a Terraform user. Library errors (HTTP, vendor
/// envelopes, codec) implement this once, so each failure is mapped to a diagnostic in one place.
pub trait ToDiagnostic {
    fn summary(&self) -> String;
    fn detail(&self) -> String;
    fn path(&self) -> Option<AttrPath> {
        None
    }
}

impl Diagnostics {
    /// Records any [`ToDiagnostic`] error as an error diagnostic.
    pub fn report(&mut self, e: &dyn ToDiagnostic) {
        self.push(Severity::Error, e.summary(), e.detail(), e.path());
    }
}

/// "Report and continue": the value of a result, or `None` with its error recorded.
pub trait Reported<T> {
    fn reported(self, diags: &mut Diagnostics) -> Option<T>;
}

impl<T, E: ToDiagnostic> Reported<T> for Result<T, E> {
    fn reported(self, diags: &mut Diagnostics) -> Option<T> {
        self.map_err(|e| diags.report(&e)).ok()
    }
}

/// Warnings that come from below a resource operation (an HTTP answer saying its API is
/// deprecated), each shown once per provider process: whichever RPC is answering next carries them.
static NOTICES: std::sync::Mutex<(Vec<String>, Vec<Diagnostic>)> = std::sync::Mutex::new((Vec::new(), Vec::new()));

/// Queues a warning under `key`, unless one with that key was queued before in this process.
pub fn notice_once(key: String, summary: impl Into<String>, detail: impl Into<String>) {
    let mut n = NOTICES.lock().expect("notices");
    if n.0.contains(&key) {
        return;
    }
    n.0.push(key);
    n.1.push(Diagnostic { severity: Severity::Warning, summary: summary.into(), detail: detail.into(), path: None });
}

impl Diagnostics {
    /// Adds the queued notices (see [`notice_once`]).
    pub fn with_notices(mut self) -> Self {
        self.0.append(&mut NOTICES.lock().expect("notices").1);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_and_convert() {
        let p = AttrPath::attr("trusted_ips").then_index(2);
        assert_eq!(p.to_string(), "trusted_ips[2]");
        assert_eq!(p.to_proto().steps.len(), 2);
        let mut d = Diagnostics::new();
        d.attr_error(AttrPath::root(), "x", "y");
        // A root path is sent as "no attribute" so Terraform points at the whole block.
        assert!(d.to_proto()[0].attribute.is_none());
        assert_eq!(d.to_proto()[0].severity, pb::diagnostic::Severity::Error as i32);
    }

    #[test]
    fn notices_are_shown_once_per_process() {
        notice_once("k".into(), "s", "d");
        notice_once("k".into(), "s", "d");
        let d = Diagnostics::new().with_notices();
        assert_eq!(d.0.iter().filter(|x| x.summary == "s").count(), 1);
        notice_once("k".into(), "s", "d");
        assert!(Diagnostics::new().with_notices().0.iter().all(|x| x.summary != "s"));
    }
}
