//! The three provider functions every provider type serves: `baseline`, `baseline_report` and
//! `sarif`. They are pure (Terraform calls them on an unconfigured provider): a date, when one
//! matters, comes in the policy object's `as_of`.

use std::sync::Arc;

use super::catalog::{self, Baseline, NAMES, quoted};
use super::judge::{self, Finding, finding_type};
use super::{Judged, Measure, Reading, policy, sarif};
use crate::plugin::function::{Function, FunctionError, Parameter, Signature};
use crate::plugin::value::{Type, Value};

/// The functions of `vendor`'s provider type.
pub fn functions(vendor: &'static dyn Judged) -> Vec<Arc<dyn Function>> {
    vec![Arc::new(BaselineFn::new()), Arc::new(ReportFn::new(vendor)), Arc::new(SarifFn::new(vendor))]
}

struct BaselineFn(Signature);

impl BaselineFn {
    fn new() -> Self {
        BaselineFn(Signature {
            name: "baseline",
            summary: "The controls of a named baseline".into(),
            description: format!(
                "The requirements of a named baseline ({}) as an object: `name`, `title`, `url` and `controls`, each \
                 with `id`, `reference` (the standard's section), `requirement`, `level` (`shall` or `should`), `measure` \
                 and `limit`. A custom baseline passed to `baseline_report` takes the same shape.",
                quoted(&NAMES)
            ),
            parameters: vec![Parameter::new("name", Type::String, "The baseline's name.")],
            returns: catalog::baseline_type(),
        })
    }
}

impl Function for BaselineFn {
    fn signature(&self) -> &Signature {
        &self.0
    }
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let name = args[0].as_str().unwrap_or_default();
        let b = catalog::named(name).ok_or_else(|| {
            FunctionError::argument(0, format!("There is no baseline {name:?}. Use one of {}.", quoted(&NAMES)))
        })?;
        Ok(b.to_value())
    }
}

struct ReportFn {
    vendor: &'static dyn Judged,
    signature: Signature,
}

impl ReportFn {
    fn new(vendor: &'static dyn Judged) -> Self {
        let t = vendor.provider_type();
        let description = format!(
            "One finding per control: `baseline`, `control`, `reference`, `level`, `requirement`, `actual`, `status` \
             (`met`, `gap`, `unknown` — nothing says, or {v} has no such setting: never a pass — or `excepted`) and \
             `scope`. `settings` is the policy object the policy modules take (judged as {v} would enforce it; \
             exceptions need `as_of = plantimestamp()`), or a list of `{t}` data sources or resources, judged as {v} \
             means them.",
            v = vendor.vendor()
        );
        ReportFn {
            vendor,
            signature: Signature {
                name: "baseline_report",
                summary: format!("Settings judged against a baseline, as {} means them", vendor.vendor()),
                description,
                parameters: vec![
                    Parameter::new(
                        "baseline",
                        Type::Dynamic,
                        "A baseline name, or an object like `baseline()` returns.",
                    ),
                    Parameter::new(
                        "settings",
                        Type::Dynamic,
                        "The policy object, or a list of this provider's objects.",
                    ),
                ],
                returns: Type::List(Box::new(finding_type())),
            },
        }
    }

    fn report(&self, baseline: &Baseline, settings: &Value) -> Result<Vec<Finding>, FunctionError> {
        if policy::is_policy(settings) {
            return policy::report(baseline, settings, self.vendor).map_err(|e| FunctionError::argument(1, e));
        }
        let objects = match settings {
            Value::Dynamic(_, inner) => return self.report(baseline, inner),
            Value::List(v) | Value::Tuple(v) | Value::Set(v) => v.clone(),
            Value::Object(_) => vec![settings.clone()],
            _ => return Err(FunctionError::argument(1, self.not_settings())),
        };
        let mut scopes = self
            .vendor
            .readings(&objects)
            .map_err(|e| FunctionError::argument(1, format!("settings[{}]: {}", e.index, e.text)))?;
        for (_, readings) in &mut scopes {
            for m in Measure::ALL {
                if let Some(why) = self.vendor.cannot_enforce(m) {
                    let unknown = || Reading::unknown(format!("{} {why}", self.vendor.vendor()));
                    readings.entry(m).or_insert_with(unknown);
                }
            }
        }
        let t = self.vendor.provider_type();
        Ok(scopes.iter().flat_map(|(scope, r)| judge::findings(baseline, &format!("{t}:{scope}"), r)).collect())
    }

    fn not_settings(&self) -> String {
        format!(
            "settings is the policy object the policy modules take, or a list of {} data sources or resources.",
            self.vendor.provider_type()
        )
    }
}

impl Function for ReportFn {
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let baseline = Baseline::from_argument(&args[0]).map_err(|e| FunctionError::argument(0, e))?;
        let findings = self.report(&baseline, &args[1])?;
        Ok(Value::List(findings.iter().map(Finding::to_value).collect()))
    }
}

struct SarifFn {
    vendor: &'static dyn Judged,
    signature: Signature,
}

impl SarifFn {
    fn new(vendor: &'static dyn Judged) -> Self {
        SarifFn {
            vendor,
            signature: Signature {
                name: "sarif",
                summary: "Findings as a SARIF 2.1.0 document for code scanning".into(),
                description: "A SARIF 2.1.0 log (a JSON string) of `baseline_report` findings, one or several reports \
                              concatenated: one rule per control with the standard's reference; level `error` for a \
                              `shall` gap, `warning` for a `should` gap, `note` for `unknown` and `excepted` (suppressed, \
                              with the exception's words), kind `pass` for `met`. GitHub code scanning accepts it \
                              (`github/codeql-action/upload-sarif`)."
                    .into(),
                parameters: vec![Parameter::new("findings", Type::List(Box::new(finding_type())), "baseline_report findings.")],
                returns: Type::String,
            },
        }
    }
}

impl Function for SarifFn {
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let items = match &args[0] {
            Value::List(v) => v.as_slice(),
            _ => &[],
        };
        let findings = items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                Finding::from_value(v).map_err(|f| {
                    FunctionError::argument(0, format!("findings[{i}] has no {f}: pass baseline_report's findings."))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tool = format!("terraform-provider-{}", self.vendor.provider_type());
        Ok(Value::String(sarif::log(&tool, env!("CARGO_PKG_VERSION"), &findings)))
    }
}
