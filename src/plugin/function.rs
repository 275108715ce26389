//! Provider-defined functions (Terraform 1.8+, OpenTofu 1.7+): declared in `GetProviderSchema`
//! (and `GetFunctions`, which OpenTofu asks), called with `CallFunction`. Terraform calls them
//! on a provider that was never configured (`internal/providers/functions.go` in
//! hashicorp/terraform), so a function is a pure computation over its arguments: no client, no
//! clock, no environment.
//!
//! An error in a function is a `FunctionError` naming the argument to blame, which Terraform
//! shows against that argument's expression — never a diagnostic, which `CallFunction` has no
//! field for in protocol 5.

use crate::proto::tfplugin5 as pb;

use super::value::{Type, Value};

/// One parameter. Terraform rejects a null argument itself unless `allow_null` says so, and
/// never passes an unknown one (the call's result is then unknown without asking).
pub struct Parameter {
    pub name: &'static str,
    pub ty: Type,
    pub description: String,
    pub allow_null: bool,
}

impl Parameter {
    pub fn new(name: &'static str, ty: Type, description: &str) -> Self {
        Parameter { name, ty, description: description.to_string(), allow_null: false }
    }
}

/// What a function says of itself: `providers schema -json` and the Registry show it.
pub struct Signature {
    pub name: &'static str,
    pub summary: String,
    pub description: String,
    pub parameters: Vec<Parameter>,
    pub returns: Type,
}

impl Signature {
    pub fn to_proto(&self) -> pb::Function {
        let parameter = |p: &Parameter| pb::function::Parameter {
            name: p.name.to_string(),
            r#type: p.ty.to_json_bytes(),
            allow_null_value: p.allow_null,
            allow_unknown_values: false,
            description: p.description.clone(),
            description_kind: pb::StringKind::Markdown as i32,
        };
        pb::Function {
            parameters: self.parameters.iter().map(parameter).collect(),
            variadic_parameter: None,
            r#return: Some(pb::function::Return { r#type: self.returns.to_json_bytes() }),
            summary: self.summary.clone(),
            description: self.description.clone(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecation_message: String::new(),
        }
    }
}

/// A failed call: the text, and the (0-based) argument it is about, when one is.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionError {
    pub text: String,
    pub argument: Option<usize>,
}

impl FunctionError {
    /// An error about argument `index`.
    pub fn argument(index: usize, text: impl Into<String>) -> Self {
        FunctionError { text: text.into(), argument: Some(index) }
    }

    /// Without a closing period: Terraform adds one ("Invalid value for \"x\" parameter: %s.",
    /// `internal/lang/funcs` and `function/function.go` in zclconf/go-cty).
    pub fn to_proto(&self) -> pb::FunctionError {
        let text = self.text.trim_end().trim_end_matches('.').to_string();
        pb::FunctionError { text, function_argument: self.argument.map(|i| i as i64) }
    }
}

/// A provider-defined function: its signature, and the call over decoded arguments (one per
/// parameter, each of the parameter's type).
pub trait Function: Send + Sync {
    fn signature(&self) -> &Signature;
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}
