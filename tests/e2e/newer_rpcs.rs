//! Every RPC a newer CLI may send, answered as the CLIs' source expects — checked against the real
//! binary over gRPC, so CI tests them whatever Terraform it has. For each, what Terraform 1.15.9
//! (`internal/plugin/grpc_provider.go` and its callers) and OpenTofu 1.12.6 / 1.11.14 expect from a
//! provider that offers the feature and from one that does not, and what these providers answer:
//!
//! | RPC | the CLIs | these providers |
//! |---|---|---|
//! | GetResourceIdentitySchemas | TF ≥ 1.12 after every GetSchema: Unimplemented = none; any other error, or an error diagnostic (1.12.1+), fails every command; each attribute must be exactly one of required/optional for import, no map/set/object. Tofu 1.12: errors only disable identity; Tofu 1.11: never called | a schema for every resource type, version 0, primitives, never a diagnostic |
//! | UpgradeResourceIdentity | called only when the stored identity version is lower than the provider's (TF even with nothing stored; Tofu 1.12 only with stored JSON, and it wants an identity back) | version 0 is re-read as is; nothing stored gives nothing, without error; a newer version is an error |
//! | ImportResourceState with identity | TF ≥ 1.12 / Tofu 1.12 for `import { identity = ... }`: empty `id`; TF requires `imported_resources[0].identity` | imports as the equivalent string ID, with the identity |
//! | ValidateListResourceConfig, ListResource | TF ≥ 1.14 for `list` blocks of types in `list_resource_schemas` (else "Invalid list resource", no call); the type must be a managed type with identity; every event needs identity; an error diagnostic ends the query; Tofu: never | a list resource per resource type; diagnostics travel in events, never as gRPC errors |
//! | GenerateResourceConfig | TF ≥ 1.14 only with `generate_resource_config` (else its own generator); 1.14.0 sends no state | capability set; null for computed-only and default values; a null config for no state |
//! | ValidateActionConfig, PlanAction, InvokeAction | TF ≥ 1.14 only for declared action types ("Invalid action type" otherwise, no call); Tofu: never | none declared: Unimplemented, never reached |
//! | GetFunctions, CallFunction | TF never calls GetFunctions, CallFunction only for declared functions; Tofu calls GetFunctions for a `provider::` function its cached schema lacks | GetFunctions answers the three baseline functions, as GetSchema does; CallFunction calls them, a missing one is a function error |
//! | MoveResourceState | TF only with `move_resource_state` ("Unsupported moved across resource types" otherwise); Tofu for any cross-type `moved`, capability or not | capability unset; a clear error diagnostic for Tofu |
//! | `get_provider_schema_optional` | TF and Tofu 1.11 skip GetSchema (and the identity call) in later processes when set; Tofu 1.12 still sends one GetSchema | set: nothing depends on GetSchema having been called |

use std::collections::BTreeMap;
use std::sync::Arc;

use mfa_providers::plugin::codec;
use mfa_providers::plugin::value::{Type, Value};
use mfa_providers::proto::tfplugin5 as pb;
use mfa_providers::proto::tfplugin5::provider_client::ProviderClient;
use mfa_providers::vendors;
use mfa_sandbox::rhombus::{DEMO_ORG_UUID, RhombusEmulator};
use mfa_sandbox::zitadel::{ADMIN_PAT, ZitadelEmulator};
use tonic::Code;
use tonic::transport::Channel;

use crate::harness;
use crate::protocol::{configure, connect, launch, launch_as, provider_config, resource_state};

fn client(ch: Channel) -> ProviderClient<Channel> {
    ProviderClient::new(ch)
}

fn dv(v: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue { msgpack: codec::to_msgpack(&v.clone().conform(ty).unwrap(), ty).unwrap(), json: vec![] }
}

fn identity_ty(provider: &str, ty: &str) -> Type {
    let p = (vendors::find(provider).unwrap().provider)();
    p.identity(ty).unwrap().1.clone()
}

#[test]
fn identity_schemas_cover_every_resource_and_never_carry_a_diagnostic() {
    for v in vendors::VENDORS {
        let p = launch_as(v.type_name, None, &[]);
        harness::rt().block_on(async {
            let mut c = client(connect(&p, None).await.unwrap());
            let r = c
                .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
                .await
                .unwrap()
                .into_inner();
            assert!(r.diagnostics.is_empty(), "{}: {:?}", v.type_name, r.diagnostics);
            let types = (v.provider)().resource_types();
            assert_eq!(r.identity_schemas.len(), types.len(), "{}", v.type_name);
            for t in types {
                let s = &r.identity_schemas[t];
                assert_eq!(s.version, 0, "{t}: version 0, so no CLI ever needs UpgradeResourceIdentity");
                assert!(!s.identity_attributes.is_empty(), "{t}");
                for a in &s.identity_attributes {
                    assert!(a.required_for_import ^ a.optional_for_import, "{t}.{}: exactly one of the two", a.name);
                    let ty: serde_json::Value = serde_json::from_slice(&a.r#type).unwrap();
                    assert!(ty == "string" || ty == "number", "{t}.{}: {ty}", a.name);
                    assert!(!a.description.is_empty(), "{t}.{}", a.name);
                }
            }
            // The capabilities the newer CLIs read, from GetSchema only.
            let s = c.get_schema(pb::get_provider_schema::Request {}).await.unwrap().into_inner();
            let caps = s.server_capabilities.unwrap();
            assert!(caps.plan_destroy && caps.get_provider_schema_optional && caps.generate_resource_config);
            assert!(!caps.move_resource_state, "nothing to move between types");
            assert!(s.action_schemas.is_empty() && s.ephemeral_resource_schemas.is_empty());
            let functions: std::collections::BTreeSet<&str> = s.functions.keys().map(String::as_str).collect();
            assert_eq!(functions, ["baseline", "baseline_report", "sarif"].into(), "{}", v.type_name);
            // A list resource per managed resource type, which has an identity (TF requires both).
            let lists: std::collections::BTreeSet<&String> = s.list_resource_schemas.keys().collect();
            let resources: std::collections::BTreeSet<&String> = s.resource_schemas.keys().collect();
            assert_eq!(lists, resources, "{}", v.type_name);
        });
    }
}

#[test]
fn stored_identities_upgrade_and_an_empty_one_is_no_error() {
    let p = launch(None, &[]);
    harness::rt().block_on(async {
        let mut c = client(connect(&p, None).await.unwrap());
        let up = |version: i64, json: &[u8]| pb::upgrade_resource_identity::Request {
            type_name: "rhombus_mfa_settings".into(),
            version,
            raw_identity: Some(pb::RawState { json: json.to_vec(), flatmap: Default::default() }),
        };
        let r =
            c.upgrade_resource_identity(up(0, br#"{"org_uuid":"AcmeSecurityOrg0000001"}"#)).await.unwrap().into_inner();
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        let ty = identity_ty("rhombus", "rhombus_mfa_settings");
        let v = codec::from_msgpack(&r.upgraded_identity.unwrap().identity_data.unwrap().msgpack, &ty).unwrap();
        assert_eq!(v.attr("org_uuid"), &Value::String(DEMO_ORG_UUID.into()));
        // Terraform asks even when nothing is stored.
        let r = c.upgrade_resource_identity(up(0, b"")).await.unwrap().into_inner();
        assert!(r.diagnostics.is_empty() && r.upgraded_identity.is_none(), "{r:?}");
        let r = c.upgrade_resource_identity(up(1, b"{}")).await.unwrap().into_inner();
        assert!(r.diagnostics.iter().any(|d| d.summary.contains("newer provider version")), "{:?}", r.diagnostics);
    });
}

#[test]
fn import_by_identity_returns_the_identity_terraform_requires() {
    let emu = harness::start(Arc::new(RhombusEmulator::new()));
    let p = launch(None, &[]);
    harness::rt().block_on(async {
        let mut c = client(connect(&p, None).await.unwrap());
        configure(&mut c, "1.15.9", provider_config(&emu.url())).await;
        let ty = identity_ty("rhombus", "rhombus_mfa_settings");
        let id = Value::Object(BTreeMap::from([("org_uuid".to_string(), Value::String(DEMO_ORG_UUID.into()))]));
        let r = c
            .import_resource_state(pb::import_resource_state::Request {
                type_name: "rhombus_mfa_settings".into(),
                id: String::new(),
                identity: Some(pb::ResourceIdentityData { identity_data: Some(dv(&id, &ty)) }),
                client_capabilities: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        let imported = &r.imported_resources[0];
        assert!(imported.state.is_some());
        let back =
            codec::from_msgpack(&imported.identity.as_ref().unwrap().identity_data.as_ref().unwrap().msgpack, &ty);
        assert_eq!(back.unwrap().attr("org_uuid"), id.attr("org_uuid"));
        // Reads return the identity too: omitting it would erase the stored one.
        let read = c
            .read_resource(pb::read_resource::Request {
                type_name: "rhombus_mfa_settings".into(),
                current_state: Some(resource_state()),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(read.new_identity.is_some(), "{:?}", read.diagnostics);
    });
}

#[test]
fn listing_streams_identities_within_the_limit_and_reports_problems_as_events() {
    let app = Arc::new(ZitadelEmulator::new());
    app.seed_orgs(10);
    let emu = harness::start(app);
    let p = launch_as("zitadel", None, &[]);
    harness::rt().block_on(async {
        let mut c = client(connect(&p, None).await.unwrap());
        let prov = (vendors::find("zitadel").unwrap().provider)();
        let (_, list_ty) = prov.list_schema("zitadel_login_mfa_settings").unwrap();
        let list_ty = list_ty.clone();
        let empty = Value::Object(BTreeMap::new());
        let list = |limit: i64, include: bool| pb::list_resource::Request {
            type_name: "zitadel_login_mfa_settings".into(),
            config: Some(dv(&empty, &list_ty)),
            include_resource_object: include,
            limit,
        };
        // Not configured yet: one event carrying the error, not a gRPC failure.
        let mut events = c.list_resource(list(10, false)).await.unwrap().into_inner();
        let first = events.message().await.unwrap().unwrap();
        assert!(first.identity.is_none() && first.diagnostic[0].summary.contains("not configured"), "{first:?}");

        let ty = prov.schema().ty();
        let cfg = Value::Object(BTreeMap::from([
            ("url".to_string(), Value::String(emu.url())),
            ("access_token".to_string(), Value::String(ADMIN_PAT.into())),
        ]));
        configure(&mut c, "1.15.9", dv(&cfg, &ty)).await;
        let mut events = c.list_resource(list(3, false)).await.unwrap().into_inner();
        let mut got = Vec::new();
        while let Some(e) = events.message().await.unwrap() {
            got.push(e);
        }
        assert_eq!(got.len(), 3, "limit 3: {got:?}");
        assert!(got.iter().all(|e| e.identity.is_some() && !e.display_name.is_empty() && e.resource_object.is_none()));
        let mut events = c.list_resource(list(1, true)).await.unwrap().into_inner();
        assert!(events.message().await.unwrap().unwrap().resource_object.is_some(), "include_resource_object");

        let bad =
            Value::Object(BTreeMap::from([("org_ids".to_string(), Value::List(vec![Value::String(" 42".into())]))]));
        let v = c
            .validate_list_resource_config(pb::validate_list_resource_config::Request {
                type_name: "zitadel_login_mfa_settings".into(),
                config: Some(dv(&bad, &list_ty)),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(v.diagnostics.iter().any(|d| d.detail.contains("did you mean \"42\"?")), "{:?}", v.diagnostics);
    });
}

#[test]
fn generated_configuration_leaves_out_what_a_person_would_delete() {
    let p = launch(None, &[]);
    harness::rt().block_on(async {
        let mut c = client(connect(&p, None).await.unwrap());
        let prov = (vendors::find("rhombus").unwrap().provider)();
        let (_, ty) = prov.resource_schema("rhombus_mfa_settings").unwrap();
        let ty = ty.clone();
        let state = Value::Object(BTreeMap::from([
            ("id".to_string(), Value::String(DEMO_ORG_UUID.into())),
            ("org_uuid".to_string(), Value::String(DEMO_ORG_UUID.into())),
            ("mfa_enabled".to_string(), Value::Bool(true)),
            ("trusted_device_skip_days".to_string(), Value::Number(mfa_providers::plugin::value::Number::Int(30))),
            ("restore_on_destroy".to_string(), Value::Bool(false)),
        ]));
        let r = c
            .generate_resource_config(pb::generate_resource_config::Request {
                type_name: "rhombus_mfa_settings".into(),
                state: Some(dv(&state, &ty)),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        let config = codec::from_msgpack(&r.config.unwrap().msgpack, &ty).unwrap();
        assert_eq!(config.attr("id"), &Value::Null, "computed only");
        assert_eq!(config.attr("restore_on_destroy"), &Value::Null, "at its default");
        assert_eq!(config.attr("mfa_enabled"), &Value::Bool(true));
        assert_eq!(config.attr("org_uuid"), &Value::String(DEMO_ORG_UUID.into()));
        // Terraform 1.14.0 sent no state.
        let r = c
            .generate_resource_config(pb::generate_resource_config::Request {
                type_name: "rhombus_mfa_settings".into(),
                state: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(r.diagnostics.is_empty());
    });
}

#[test]
fn actions_functions_and_moves_get_the_answers_the_clis_handle() {
    let p = launch(None, &[]);
    harness::rt().block_on(async {
        let mut c = client(connect(&p, None).await.unwrap());
        let code = |r: Result<(), tonic::Status>| r.err().map(|s| s.code());
        assert_eq!(
            code(c.validate_action_config(pb::validate_action_config::Request::default()).await.map(|_| ())),
            Some(Code::Unimplemented)
        );
        assert_eq!(
            code(c.plan_action(pb::plan_action::Request::default()).await.map(|_| ())),
            Some(Code::Unimplemented)
        );
        let invoke = c.invoke_action(pb::invoke_action::Request::default()).await;
        let unimplemented = match invoke {
            Err(s) => s.code() == Code::Unimplemented,
            Ok(mut stream) => stream.get_mut().message().await.err().is_some_and(|s| s.code() == Code::Unimplemented),
        };
        assert!(unimplemented, "InvokeAction");
        // A function the provider does not have is a function error, not a transport fault.
        let call = c.call_function(pb::call_function::Request::default()).await.unwrap().into_inner();
        assert!(call.result.is_none() && call.error.is_some_and(|e| e.function_argument.is_none()));
        // OpenTofu asks GetFunctions for a function its cached schema lacks: the same three.
        let f = c.get_functions(pb::get_functions::Request {}).await.unwrap().into_inner();
        let names: std::collections::BTreeSet<&str> = f.functions.keys().map(String::as_str).collect();
        assert!(names == ["baseline", "baseline_report", "sarif"].into() && f.diagnostics.is_empty(), "{names:?}");
        let m = c
            .move_resource_state(pb::move_resource_state::Request {
                source_type_name: "other_thing".into(),
                target_type_name: "rhombus_mfa_settings".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(m.target_state.is_none());
        assert!(
            m.diagnostics.iter().any(|d| d.summary.contains("not supported") && d.detail.contains("import")),
            "{:?}",
            m.diagnostics
        );
    });
}

/// With `get_provider_schema_optional`, Terraform may serve a later provider process from its
/// schema cache and never call GetSchema there: everything works without it.
#[test]
fn a_process_that_never_got_get_schema_works() {
    let emu = harness::start(Arc::new(RhombusEmulator::new()));
    let p = launch(None, &[]);
    harness::rt().block_on(async {
        let mut c = client(connect(&p, None).await.unwrap());
        configure(&mut c, "1.15.9", provider_config(&emu.url())).await;
        let read = c
            .read_resource(pb::read_resource::Request {
                type_name: "rhombus_mfa_settings".into(),
                current_state: Some(resource_state()),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
        assert!(read.new_state.is_some());
    });
}

/// A listing whose answer has a shape the provider does not know says so in a warning event,
/// for every vendor with a list to read, instead of listing nothing as if there were nothing.
#[test]
fn a_listing_of_an_unexpected_shape_warns_for_every_vendor() {
    use mfa_sandbox::{Fault, FaultKind, rhombus};
    /// The list type, the listing's path, settings beyond the emulator's own.
    type Case = (&'static str, &'static str, Vec<(&'static str, String)>);
    let case = |provider: &str| -> Option<Option<Case>> {
        Some(match provider {
            "zitadel" => Some(("zitadel_login_mfa_settings", "/v2/organizations/_search", vec![])),
            "rhombus" => Some((
                "rhombus_mfa_settings",
                "/api/partner/getClientsV2",
                vec![("api_key", rhombus::PARTNER_API_KEY.into()), ("auth_scheme", "partner-api-token".into())],
            )),
            "akana" => Some(("akana_twofa_settings", "/api/businesses$", vec![])),
            // DocSpace lists the one portal the provider points at: no listing to read.
            "onlyoffice" => None,
            _ => return None,
        })
    };
    let cases = harness::every_vendor("newer_rpcs::a_listing_of_an_unexpected_shape_warns_for_every_vendor", case);
    for (provider, (list_type, path, settings)) in cases.into_iter().filter_map(|(t, c)| Some((t, c?))) {
        let app = harness::new_emulator(provider);
        let emu = harness::start_app(app.clone(), Default::default());
        emu.control.push_fault(Fault::new(FaultKind::Body(200, r#"{"unexpected":[]}"#.into())).on_path(path));
        let p = launch_as(provider, None, &[]);
        harness::rt().block_on(async {
            let mut c = client(connect(&p, None).await.unwrap());
            let prov = (vendors::find(provider).unwrap().provider)();
            let mut cfg: BTreeMap<String, Value> = harness::provider_settings(provider, &app.sandbox_env(&emu.url()))
                .expect("the emulator's settings are the provider's")
                .into_iter()
                .map(|(name, v)| (name.to_string(), Value::String(v)))
                .collect();
            cfg.extend(settings.iter().map(|(k, v)| (k.to_string(), Value::String(v.clone()))));
            configure(&mut c, "1.15.9", dv(&Value::Object(cfg), &prov.schema().ty())).await;
            let (_, list_ty) = prov.list_schema(list_type).unwrap();
            let request = pb::list_resource::Request {
                type_name: list_type.into(),
                config: Some(dv(&Value::Object(BTreeMap::new()), list_ty)),
                include_resource_object: false,
                limit: 100,
            };
            let mut events = c.list_resource(request).await.unwrap().into_inner();
            let mut warnings = Vec::new();
            while let Some(e) = events.message().await.unwrap() {
                warnings.extend(e.diagnostic.into_iter().map(|d| d.summary));
            }
            assert!(
                warnings.iter().any(|w| w.contains("has a shape this provider does not know")),
                "{provider}: {warnings:?}"
            );
        });
    }
}
