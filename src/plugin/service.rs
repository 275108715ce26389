//! The `tfplugin5.Provider` gRPC service: decodes requests with the right schema type, hands
//! values to the [`DynProvider`], and encodes results. User-facing problems always travel as
//! diagnostics; a gRPC status is returned only when the request itself is unusable.

use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::proto::tfplugin5 as pb;
use crate::proto::tfplugin5::provider_server::Provider as ProviderRpc;

use super::codec;
use super::diag::Diagnostics;
use super::function::FunctionError;
use super::provider::DynProvider;
use super::value::{Type, Value};

pub struct ProviderService {
    provider: Arc<dyn DynProvider>,
    /// Cancelled by the Stop RPC; every operation's HTTP calls watch it.
    stop: CancellationToken,
}

impl ProviderService {
    pub fn new(provider: Arc<dyn DynProvider>) -> Self {
        ProviderService { provider, stop: CancellationToken::new() }
    }

    fn decode(&self, dv: Option<&pb::DynamicValue>, ty: &Type, what: &str, diags: &mut Diagnostics) -> Option<Value> {
        let Some(dv) = dv else {
            return Some(Value::Null);
        };
        let r = if !dv.msgpack.is_empty() {
            codec::from_msgpack(&dv.msgpack, ty)
        } else if !dv.json.is_empty() {
            codec::from_json_bytes(&dv.json, ty)
        } else {
            Ok(Value::Null)
        };
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                diags.error(
                    format!("Unreadable {what} from Terraform"),
                    format!("The provider could not decode the {what} Terraform sent: {e}."),
                );
                None
            }
        }
    }

    fn function_signatures(&self) -> std::collections::HashMap<String, pb::Function> {
        self.provider.functions().iter().map(|(n, f)| (n.to_string(), f.signature().to_proto())).collect()
    }

    fn call(&self, name: &str, arguments: &[pb::DynamicValue]) -> Result<pb::DynamicValue, FunctionError> {
        let unknown = || FunctionError { text: format!("The provider has no function {name:?}."), argument: None };
        let f = self.provider.functions().get(name).ok_or_else(unknown)?;
        let sig = f.signature();
        if arguments.len() != sig.parameters.len() {
            return Err(FunctionError {
                text: format!("{name} takes {} arguments, not {}.", sig.parameters.len(), arguments.len()),
                argument: None,
            });
        }
        let mut args = Vec::with_capacity(arguments.len());
        for (i, (dv, p)) in arguments.iter().zip(&sig.parameters).enumerate() {
            let v = if dv.msgpack.is_empty() && !dv.json.is_empty() {
                codec::from_json_bytes(&dv.json, &p.ty)
            } else {
                codec::from_msgpack(&dv.msgpack, &p.ty)
            };
            args.push(v.map_err(|e| FunctionError::argument(i, format!("Unreadable {}: {e}.", p.name)))?);
        }
        let result = f.call(&args)?;
        codec::to_msgpack(&result, &sig.returns).map(|msgpack| pb::DynamicValue { msgpack, json: Vec::new() }).map_err(
            |e| FunctionError {
                text: format!("Provider bug: {name}'s result does not fit its type: {e}. Please report this."),
                argument: None,
            },
        )
    }

    fn encode(v: &Value, ty: &Type, diags: &mut Diagnostics) -> Option<pb::DynamicValue> {
        match codec::to_msgpack(v, ty) {
            Ok(b) => Some(pb::DynamicValue { msgpack: b, json: Vec::new() }),
            Err(e) => {
                diags.error("Provider bug: value does not fit the schema", format!("{e}. Please report this."));
                None
            }
        }
    }

    fn resource_ty(&self, type_name: &str, diags: &mut Diagnostics) -> Option<Type> {
        match self.provider.resource_schema(type_name) {
            Some((_, ty)) => Some(ty.clone()),
            None => {
                diags.error(
                    "Unknown resource type",
                    format!(
                        "The {} provider has no resource type {type_name:?}. It serves: {}.",
                        self.provider.type_name(),
                        self.provider.resource_types().join(", ")
                    ),
                );
                None
            }
        }
    }

    fn data_source_ty(&self, type_name: &str, diags: &mut Diagnostics) -> Option<Type> {
        match self.provider.data_source_schema(type_name) {
            Some((_, ty)) => Some(ty.clone()),
            None => {
                diags.error(
                    "Unknown data source",
                    format!(
                        "The {} provider has no data source {type_name:?}. It has: {}.",
                        self.provider.type_name(),
                        self.provider.data_source_types().join(", ")
                    ),
                );
                None
            }
        }
    }

    /// An identity for the wire, encoded with the resource type's identity type.
    fn identity_data(
        &self,
        type_name: &str,
        identity: Option<&Value>,
        diags: &mut Diagnostics,
    ) -> Option<pb::ResourceIdentityData> {
        let (_, ty) = self.provider.identity(type_name)?;
        let dv = Self::encode(identity?, ty, diags)?;
        Some(pb::ResourceIdentityData { identity_data: Some(dv) })
    }

    fn log_done(rpc: &str, type_name: &str, started: Instant, diags: &Diagnostics) {
        log::debug!(
            "{rpc} {type_name} finished in {} ms with {} diagnostic(s){}",
            started.elapsed().as_millis(),
            diags.0.len(),
            if diags.has_errors() { " (errors)" } else { "" }
        );
    }
}

#[tonic::async_trait]
impl ProviderRpc for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: self
                .provider
                .resource_types()
                .into_iter()
                .map(|t| pb::get_metadata::ResourceMetadata { type_name: t.to_string() })
                .collect(),
            data_sources: self
                .provider
                .data_source_types()
                .into_iter()
                .map(|t| pb::get_metadata::DataSourceMetadata { type_name: t.to_string() })
                .collect(),
            list_resources: self
                .provider
                .list_types()
                .into_iter()
                .map(|t| pb::get_metadata::ListResourceMetadata { type_name: t.to_string() })
                .collect(),
            functions: self
                .provider
                .functions()
                .keys()
                .map(|n| pb::get_metadata::FunctionMetadata { name: n.to_string() })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let resource_schemas = self
            .provider
            .resource_types()
            .into_iter()
            .filter_map(|t| self.provider.resource_schema(t).map(|(s, _)| (t.to_string(), s.to_proto())))
            .collect();
        let data_source_schemas = self
            .provider
            .data_source_types()
            .into_iter()
            .filter_map(|t| self.provider.data_source_schema(t).map(|(s, _)| (t.to_string(), s.to_proto())))
            .collect();
        let list_resource_schemas = self
            .provider
            .list_types()
            .into_iter()
            .filter_map(|t| self.provider.list_schema(t).map(|(s, _)| (t.to_string(), s.to_proto())))
            .collect();
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(self.provider.schema().to_proto()),
            resource_schemas,
            data_source_schemas,
            list_resource_schemas,
            // An empty provider_meta block: Terraform dereferences these schemas without nil checks.
            provider_meta: Some(pb::Schema { version: 0, block: Some(Default::default()) }),
            server_capabilities: Some(capabilities()),
            functions: self.function_signatures(),
            ..Default::default()
        }))
    }

    /// Never an error: Terraform >= 1.12.1 fails every command of a provider whose identity
    /// schemas come with an error (`GRPCProvider.GetProviderSchema`).
    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        let identity_schemas = self
            .provider
            .resource_types()
            .into_iter()
            .filter_map(|t| self.provider.identity(t).map(|(s, _)| (t.to_string(), s.to_proto())))
            .collect();
        Ok(Response::new(pb::get_resource_identity_schemas::Response { identity_schemas, diagnostics: vec![] }))
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let raw = req.raw_identity.unwrap_or_default();
        let upgraded = self.provider.upgrade_identity(&req.type_name, req.version, &raw.json, &mut diags);
        Ok(Response::new(pb::upgrade_resource_identity::Response {
            upgraded_identity: self.identity_data(&req.type_name, upgraded.as_ref(), &mut diags),
            diagnostics: diags.with_notices().to_proto(),
        }))
    }

    async fn prepare_provider_config(
        &self,
        req: Request<pb::prepare_provider_config::Request>,
    ) -> Result<Response<pb::prepare_provider_config::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(cfg) =
            self.decode(req.config.as_ref(), &self.provider.schema().ty(), "provider configuration", &mut diags)
        {
            self.provider.validate_config(&cfg, &mut diags);
        }
        // Terraform >= 0.13 ignores the prepared config; echoing the input keeps it quiet.
        Ok(Response::new(pb::prepare_provider_config::Response {
            prepared_config: req.config,
            diagnostics: diags.with_notices().to_proto(),
        }))
    }

    async fn validate_resource_type_config(
        &self,
        req: Request<pb::validate_resource_type_config::Request>,
    ) -> Result<Response<pb::validate_resource_type_config::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(ty) = self.resource_ty(&req.type_name, &mut diags)
            && let Some(cfg) = self.decode(req.config.as_ref(), &ty, "configuration", &mut diags)
        {
            self.provider.validate_resource(&req.type_name, &cfg, &mut diags);
        }
        Ok(Response::new(pb::validate_resource_type_config::Response { diagnostics: diags.with_notices().to_proto() }))
    }

    async fn validate_data_source_config(
        &self,
        req: Request<pb::validate_data_source_config::Request>,
    ) -> Result<Response<pb::validate_data_source_config::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(ty) = self.data_source_ty(&req.type_name, &mut diags)
            && let Some(cfg) = self.decode(req.config.as_ref(), &ty, "configuration", &mut diags)
        {
            self.provider.validate_data_source(&req.type_name, &cfg, &mut diags);
        }
        Ok(Response::new(pb::validate_data_source_config::Response { diagnostics: diags.with_notices().to_proto() }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let mut upgraded = None;
        if let Some(ty) = self.resource_ty(&req.type_name, &mut diags) {
            let raw = req.raw_state.unwrap_or_default();
            if raw.json.is_empty() && !raw.flatmap.is_empty() {
                diags.error(
                    "Unsupported state format",
                    "This state was written in the pre-0.12 flatmap format, which this provider never produced.",
                );
            } else if let Some(v) = self.provider.upgrade(&req.type_name, req.version, &raw.json, &mut diags) {
                upgraded = Self::encode(&v, &ty, &mut diags);
            }
        }
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: upgraded,
            diagnostics: diags.with_notices().to_proto(),
        }))
    }

    async fn configure(
        &self,
        req: Request<pb::configure::Request>,
    ) -> Result<Response<pb::configure::Response>, Status> {
        let req = req.into_inner();
        let started = Instant::now();
        let mut diags = Diagnostics::new();
        if let Some(cfg) =
            self.decode(req.config.as_ref(), &self.provider.schema().ty(), "provider configuration", &mut diags)
        {
            self.provider.configure(&req.terraform_version, &cfg, self.stop.child_token(), &mut diags).await;
        }
        Self::log_done("Configure", self.provider.type_name(), started, &diags);
        Ok(Response::new(pb::configure::Response { diagnostics: diags.with_notices().to_proto() }))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = req.into_inner();
        let started = Instant::now();
        let mut diags = Diagnostics::new();
        let mut resp = pb::read_resource::Response {
            new_state: req.current_state.clone(),
            private: req.private.clone(),
            ..Default::default()
        };
        if let Some(ty) = self.resource_ty(&req.type_name, &mut diags)
            && let Some(cur) = self.decode(req.current_state.as_ref(), &ty, "current state", &mut diags)
        {
            let stored =
                self.provider.read(&req.type_name, &cur, &req.private, self.stop.child_token(), &mut diags).await;
            if let Some(dv) = Self::encode(&stored.state, &ty, &mut diags) {
                resp.new_state = Some(dv);
                resp.private = stored.private;
                resp.new_identity = self.identity_data(&req.type_name, stored.identity.as_ref(), &mut diags);
            }
        }
        Self::log_done("ReadResource", &req.type_name, started, &diags);
        resp.diagnostics = diags.with_notices().to_proto();
        Ok(Response::new(resp))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        let started = Instant::now();
        let mut diags = Diagnostics::new();
        let mut resp = pb::plan_resource_change::Response::default();
        if let Some(ty) = self.resource_ty(&req.type_name, &mut diags) {
            let prior = self.decode(req.prior_state.as_ref(), &ty, "prior state", &mut diags);
            let proposed = self.decode(req.proposed_new_state.as_ref(), &ty, "proposed state", &mut diags);
            let config = self.decode(req.config.as_ref(), &ty, "configuration", &mut diags);
            if let (Some(prior), Some(proposed), Some(config)) = (prior, proposed, config) {
                let planned = self
                    .provider
                    .plan(
                        &req.type_name,
                        &prior,
                        &proposed,
                        &config,
                        &req.prior_private,
                        self.stop.child_token(),
                        &mut diags,
                    )
                    .await;
                if let Some(p) = planned
                    && let Some(dv) = Self::encode(&p.state, &ty, &mut diags)
                {
                    resp.planned_state = Some(dv);
                    resp.planned_private = p.private;
                    resp.requires_replace = p.requires_replace.iter().map(|x| x.to_proto()).collect();
                    resp.planned_identity = self.identity_data(&req.type_name, p.identity.as_ref(), &mut diags);
                }
            }
        }
        Self::log_done("PlanResourceChange", &req.type_name, started, &diags);
        resp.diagnostics = diags.with_notices().to_proto();
        Ok(Response::new(resp))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        let started = Instant::now();
        let mut diags = Diagnostics::new();
        let mut resp = pb::apply_resource_change::Response {
            new_state: req.prior_state.clone(),
            private: req.planned_private.clone(),
            ..Default::default()
        };
        if let Some(ty) = self.resource_ty(&req.type_name, &mut diags) {
            let prior = self.decode(req.prior_state.as_ref(), &ty, "prior state", &mut diags);
            let planned = self.decode(req.planned_state.as_ref(), &ty, "planned state", &mut diags);
            if let (Some(prior), Some(planned)) = (prior, planned) {
                let stored = self
                    .provider
                    .apply(&req.type_name, &prior, &planned, &req.planned_private, self.stop.child_token(), &mut diags)
                    .await;
                if let Some(dv) = Self::encode(&stored.state, &ty, &mut diags) {
                    resp.new_state = Some(dv);
                    resp.private = stored.private;
                    resp.new_identity = self.identity_data(&req.type_name, stored.identity.as_ref(), &mut diags);
                }
            }
        }
        Self::log_done("ApplyResourceChange", &req.type_name, started, &diags);
        resp.diagnostics = diags.with_notices().to_proto();
        Ok(Response::new(resp))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        let started = Instant::now();
        let mut diags = Diagnostics::new();
        let mut imported = Vec::new();
        // `import { identity = { ... } }` sends the identity and no ID (Terraform >= 1.12, OpenTofu 1.12).
        let identity = match req.identity.as_ref().and_then(|i| i.identity_data.as_ref()) {
            Some(data) => match self.provider.identity(&req.type_name) {
                Some((_, ity)) => self.decode(Some(data), &ity.clone(), "import identity", &mut diags),
                None => None,
            },
            None => None,
        };
        if let Some(ty) = self.resource_ty(&req.type_name, &mut diags)
            && !diags.has_errors()
            && let Some(stored) = self
                .provider
                .import(&req.type_name, &req.id, identity.as_ref(), self.stop.child_token(), &mut diags)
                .await
            && let Some(dv) = Self::encode(&stored.state, &ty, &mut diags)
        {
            imported.push(pb::import_resource_state::ImportedResource {
                type_name: req.type_name.clone(),
                state: Some(dv),
                private: stored.private,
                identity: self.identity_data(&req.type_name, stored.identity.as_ref(), &mut diags),
            });
        }
        Self::log_done("ImportResourceState", &req.type_name, started, &diags);
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources: imported,
            diagnostics: diags.with_notices().to_proto(),
            deferred: None,
        }))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let req = req.into_inner();
        let started = Instant::now();
        let mut diags = Diagnostics::new();
        let mut resp = pb::read_data_source::Response::default();
        if let Some(ty) = self.data_source_ty(&req.type_name, &mut diags)
            && let Some(cfg) = self.decode(req.config.as_ref(), &ty, "configuration", &mut diags)
            && let Some(state) =
                self.provider.read_data_source(&req.type_name, &cfg, self.stop.child_token(), &mut diags).await
        {
            resp.state = Self::encode(&state, &ty, &mut diags);
        }
        Self::log_done("ReadDataSource", &req.type_name, started, &diags);
        resp.diagnostics = diags.with_notices().to_proto();
        Ok(Response::new(resp))
    }

    async fn generate_resource_config(
        &self,
        req: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let mut config = None;
        // Terraform 1.14.0 sent no state (fixed in 1.14.1): nothing to generate from, a null config.
        if let Some(ty) = self.resource_ty(&req.type_name, &mut diags)
            && let Some(state) = self.decode(req.state.as_ref(), &ty, "state", &mut diags)
            && let Some(c) = self.provider.generate_config(&req.type_name, &state, &mut diags)
        {
            config = Self::encode(&c, &ty, &mut diags);
        }
        Ok(Response::new(pb::generate_resource_config::Response {
            config,
            diagnostics: diags.with_notices().to_proto(),
        }))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        match self.provider.list_schema(&req.type_name) {
            Some((_, ty)) => {
                if let Some(cfg) = self.decode(req.config.as_ref(), &ty.clone(), "list configuration", &mut diags) {
                    self.provider.validate_list(&req.type_name, &cfg, &mut diags);
                }
            }
            None => self.provider.validate_list(&req.type_name, &Value::Null, &mut diags),
        }
        Ok(Response::new(pb::validate_list_resource_config::Response { diagnostics: diags.with_notices().to_proto() }))
    }

    /// `terraform query`: the listing runs on its own task, streaming results until Terraform has
    /// the `limit` it asked for and drops the stream.
    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> Result<Response<tonic::codegen::BoxStream<pb::list_resource::Event>>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let config = match self.provider.list_schema(&req.type_name) {
            Some((_, ty)) => self.decode(req.config.as_ref(), &ty.clone(), "list configuration", &mut diags),
            None => Some(Value::Null),
        };
        let (provider, cancel) = (self.provider.clone(), self.stop.child_token());
        let list_req = super::list::ListRequest { include_resource: req.include_resource_object, limit: req.limit };
        let type_name = req.type_name;
        Ok(Response::new(super::list::stream(move |tx| {
            Box::pin(async move {
                match config {
                    Some(config) => provider.list(&type_name, &config, list_req, cancel, tx).await,
                    None => {
                        let _ = tx.send(super::list::failed(diags.0)).await;
                    }
                }
            })
        })))
    }

    /// The same declarations as `GetProviderSchema`: OpenTofu asks this when a configuration names
    /// a function the schema it cached does not have (`internal/tofu/context_functions.go`).
    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response { functions: self.function_signatures(), diagnostics: vec![] }))
    }

    /// Calls a function: each argument decoded as its parameter's type, the result encoded as the
    /// return type. Any failure is a `FunctionError`, never a gRPC error.
    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let req = req.into_inner();
        let answer = match self.call(&req.name, &req.arguments) {
            Ok(result) => pb::call_function::Response { result: Some(result), error: None },
            Err(e) => pb::call_function::Response { result: None, error: Some(e.to_proto()) },
        };
        Ok(Response::new(answer))
    }

    /// OpenTofu calls this for any `moved` block to another resource type, whatever the
    /// capabilities say; none of these resources can take another type's state.
    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        diags.error(
            "Moving between resource types is not supported",
            format!(
                "The {} provider cannot turn the state of {} into {}. Remove the moved block and import the object as a {} \
                 instead.",
                self.provider.type_name(),
                if req.source_type_name.is_empty() { "another resource type" } else { &req.source_type_name },
                req.target_type_name,
                req.target_type_name
            ),
        );
        Ok(Response::new(pb::move_resource_state::Response {
            diagnostics: diags.with_notices().to_proto(),
            ..Default::default()
        }))
    }

    async fn stop(&self, _: Request<pb::stop::Request>) -> Result<Response<pb::stop::Response>, Status> {
        log::info!("Terraform asked the provider to stop; cancelling in-flight requests");
        self.stop.cancel();
        Ok(Response::new(pb::stop::Response { error: String::new() }))
    }
}

/// - `plan_destroy`: current Terraform shows destroy warnings (e.g. "MFA stays as it is") at plan
///   time; Terraform 1.0.3 ignores capabilities and never sends destroy plans.
/// - `get_provider_schema_optional`: nothing here depends on GetSchema having been called in this
///   process, so Terraform may take the schema from its cache and skip the call.
/// - `generate_resource_config`: `-generate-config-out` asks the provider (Terraform 1.14+).
/// - `move_resource_state` stays false: there is nothing to move between types.
fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        generate_resource_config: true,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::VENDORS;
    use proptest::prelude::*;

    fn dv(msgpack: &[u8], json: &[u8]) -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue { msgpack: msgpack.to_vec(), json: json.to_vec() })
    }

    /// Feeds the same bytes to every RPC that decodes values, for every provider and resource
    /// type (and one unknown type). Every call must answer — with diagnostics where the input is
    /// bad — and never panic or fail at the gRPC level.
    async fn hammer(mp: Vec<u8>, js: Vec<u8>, id: String) {
        for v in VENDORS {
            // Unconfigured: nothing below can reach the network.
            let svc = ProviderService::new((v.provider)());
            let mut types: Vec<String> = (v.provider)().resource_types().into_iter().map(str::to_string).collect();
            types.push(format!("{}_nope", v.type_name));
            let mut data: Vec<String> = (v.provider)().data_source_types().into_iter().map(str::to_string).collect();
            data.push(format!("{}_nope", v.type_name));
            for t in &data {
                hammer_data_source(&svc, t, &mp, &js).await;
            }
            let r = svc
                .prepare_provider_config(Request::new(pb::prepare_provider_config::Request { config: dv(&mp, &js) }))
                .await;
            assert!(r.is_ok());
            for t in &types {
                hammer_resource(&svc, t, &mp, &js, &id).await;
            }
            // Configure last, on its own instance: garbage never configures a client.
            let svc = ProviderService::new((v.provider)());
            let r = svc
                .configure(Request::new(pb::configure::Request {
                    terraform_version: id.clone(),
                    config: dv(&mp, &js),
                    client_capabilities: None,
                }))
                .await;
            assert!(r.is_ok());
        }
    }

    async fn hammer_data_source(svc: &ProviderService, t: &str, mp: &[u8], js: &[u8]) {
        let r = svc
            .validate_data_source_config(Request::new(pb::validate_data_source_config::Request {
                type_name: t.to_string(),
                config: dv(mp, js),
            }))
            .await;
        assert!(r.is_ok());
        let r = svc
            .read_data_source(Request::new(pb::read_data_source::Request {
                type_name: t.to_string(),
                config: dv(mp, js),
                ..Default::default()
            }))
            .await;
        assert!(r.is_ok());
    }

    async fn hammer_resource(svc: &ProviderService, t: &str, mp: &[u8], js: &[u8], id: &str) {
        let r = svc
            .validate_resource_type_config(Request::new(pb::validate_resource_type_config::Request {
                type_name: t.to_string(),
                config: dv(mp, js),
                client_capabilities: None,
            }))
            .await;
        assert!(r.is_ok());
        let r = svc
            .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: t.to_string(),
                prior_state: dv(mp, &[]),
                proposed_new_state: dv(mp, js),
                config: dv(mp, js),
                prior_private: mp.to_vec(),
                ..Default::default()
            }))
            .await;
        assert!(r.is_ok());
        let r = svc
            .apply_resource_change(Request::new(pb::apply_resource_change::Request {
                type_name: t.to_string(),
                prior_state: dv(mp, &[]),
                planned_state: dv(&[], js),
                planned_private: js.to_vec(),
                ..Default::default()
            }))
            .await;
        assert!(r.is_ok());
        let r = svc
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: t.to_string(),
                current_state: dv(mp, js),
                private: mp.to_vec(),
                ..Default::default()
            }))
            .await;
        assert!(r.is_ok());
        let r = svc
            .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: t.to_string(),
                version: mp.first().copied().unwrap_or(0) as i64 - 100,
                raw_state: Some(pb::RawState { json: js.to_vec(), flatmap: Default::default() }),
            }))
            .await;
        assert!(r.is_ok());
        let r = svc
            .import_resource_state(Request::new(pb::import_resource_state::Request {
                type_name: t.to_string(),
                id: id.to_string(),
                ..Default::default()
            }))
            .await;
        assert!(r.is_ok());
    }

    #[tokio::test]
    async fn every_provider_declares_its_functions_and_a_bad_argument_is_a_function_error() {
        for v in VENDORS {
            let svc = ProviderService::new((v.provider)());
            let schema = svc.get_schema(Request::new(Default::default())).await.unwrap().into_inner();
            let mut names: Vec<&String> = schema.functions.keys().collect();
            names.sort();
            assert_eq!(names, ["baseline", "baseline_report", "sarif"], "{}", v.type_name);
            let arg = |s: &str| pb::DynamicValue {
                msgpack: codec::to_msgpack(&Value::String(s.into()), &Type::String).unwrap(),
                json: vec![],
            };
            let call = |name: &str, args: Vec<pb::DynamicValue>| {
                svc.call_function(Request::new(pb::call_function::Request { name: name.into(), arguments: args }))
            };
            let r = call("baseline", vec![arg("pci")]).await.unwrap().into_inner();
            let e = r.error.expect("an error");
            assert_eq!(e.function_argument, Some(0));
            assert!(e.text.contains("pci-dss-4.0.1") && !e.text.ends_with('.'), "{}", e.text);
            let r = call("baseline", vec![arg("pci-dss-4.0.1")]).await.unwrap().into_inner();
            assert!(r.error.is_none() && r.result.is_some());
            let r = call("nope", vec![]).await.unwrap().into_inner();
            assert!(r.error.expect("an error").function_argument.is_none());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn malformed_values_get_diagnostics_from_every_rpc(
            mp in prop::collection::vec(any::<u8>(), 0..96),
            js in prop::collection::vec(any::<u8>(), 0..48),
            id in ".{0,24}",
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(hammer(mp, js, id));
        }

        /// Structurally plausible input: random JSON documents as raw state and as DynamicValue.json.
        #[test]
        fn random_json_documents_get_diagnostics(doc in json_doc()) {
            let bytes = doc.to_string().into_bytes();
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(hammer(Vec::new(), bytes, "x".into()));
        }
    }

    fn json_doc() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|i| serde_json::json!(i)),
            "[a-z_]{0,8}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("id".to_string()),
                        Just("type".to_string()),
                        Just("mfa_enabled".to_string()),
                        "[a-z_]{1,8}"
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
