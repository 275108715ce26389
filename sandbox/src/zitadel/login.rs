//! ZITADEL's login policy: the settings and the two factor lists, instance (`/admin/v1`) and
//! organization (`/management/v1`), as `internal/command/{org,instance}_policy_login.go` and the
//! gateway handle them.

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value as J, json};

use super::gateway::{self, Body, gateway_error, ok, zitadel_error};
use super::{
    BOOL_FIELDS, DURATION_FIELDS, FactorList, IDP_OWNER_TYPES, INSTANCE_ID, INSTANCE_IDP, NOTIFICATION_LINKS,
    PASSWORDLESS_TYPES, Rejected, ZitadelEmulator, factor_error, list_of,
};

impl ZitadelEmulator {
    pub(super) fn get_org_policy(&self, h: HeaderMap) -> Response {
        let org = match self.authorize(&h, true) {
            Ok(o) => o.expect("org scope"),
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        if s.failing_reads.contains(&org) {
            return zitadel_error(13, "Errors.Internal", "QUERY-2m9fs");
        }
        let rm = s.read();
        let (mut policy, is_default) = match rm.orgs.get(&org) {
            Some(Some(p)) => (p.clone(), false),
            // Removed meanwhile (lagging reads still know it), or inheriting.
            _ => (rm.default_policy.clone(), true),
        };
        policy["isDefault"] = json!(is_default);
        policy["details"]["resourceOwner"] = json!(if is_default { s.instance_id.clone() } else { org.clone() });
        let policy = s.render(&policy);
        ok(json!({"policy": policy, "isDefault": is_default}))
    }

    pub(super) fn get_default_policy(&self, h: HeaderMap) -> Response {
        if let Err(r) = self.authorize(&h, false) {
            return *r;
        }
        let mut s = self.state.lock().expect("state");
        let mut p = s.read().default_policy.clone();
        p["isDefault"] = json!(true);
        // `ModelLoginPolicyToPb` (internal/api/grpc/policy/login_policy.go): the owner of the
        // instance's default policy is the instance.
        p["details"]["resourceOwner"] = json!(s.instance_id);
        let p = s.render(&p);
        ok(json!({"policy": p}))
    }

    /// The settings fields of a create or update request, validated as the gateway and the
    /// command do (`prepareAddLoginPolicy`, `prepareChangeLoginPolicy`): `ids` are the command's
    /// ids for an invalid redirect URI and for the links flag without one.
    fn settings_from(&self, b: &Body, ids: (&str, &str)) -> Result<Map<String, J>, Rejected> {
        let mut m = Map::new();
        for f in BOOL_FIELDS {
            m.insert((*f).into(), J::Bool(b.bool(f)?));
        }
        for f in DURATION_FIELDS {
            m.insert((*f).into(), J::String(b.duration(f)?));
        }
        let pwless = b.enum_value("passwordlessType", PASSWORDLESS_TYPES)?;
        let Some(name) = usize::try_from(pwless).ok().and_then(|i| PASSWORDLESS_TYPES.get(i)) else {
            return Err(Box::new(gateway_error(
                3,
                "invalid request.PasswordlessType: value must be one of the defined enum values",
            )));
        };
        m.insert("passwordlessType".into(), J::String((*name).into()));
        let uri = b.string("defaultRedirectUri")?;
        let links = self.state.lock().expect("state").notification_links && b.bool(NOTIFICATION_LINKS)?;
        if !redirect_uri_valid(&uri) {
            return Err(Box::new(zitadel_error(3, "Errors.Org.LoginPolicy.RedirectURIInvalid", ids.0)));
        }
        if links && uri.is_empty() {
            return Err(Box::new(zitadel_error(3, "Errors.Org.LoginPolicy.RedirectURIMustBeSet", ids.1)));
        }
        m.insert("defaultRedirectUri".into(), J::String(uri));
        m.insert(NOTIFICATION_LINKS.into(), J::Bool(links));
        Ok(m)
    }

    /// `POST /management/v1/policies/login` (AddCustomLoginPolicy).
    pub(super) fn add_custom_policy(&self, h: HeaderMap, body: Bytes) -> Response {
        let org = match self.authorize(&h, true) {
            Ok(o) => o.expect("org scope"),
            Err(r) => return *r,
        };
        let b = match Body::parse(&body, "AddCustomLoginPolicyRequest") {
            Ok(b) => b,
            Err(r) => return *r,
        };
        let mut policy = match self.settings_from(&b, ("Org-WSfdq", "Org-GFsqb")) {
            Ok(m) => J::Object(m),
            Err(r) => return *r,
        };
        let recovery = self.state.lock().expect("state").recovery_codes;
        let mut listed = Vec::new();
        for kind in [FactorList::Multi, FactorList::Second] {
            let names = kind.names(recovery);
            let values = match b.enum_list(kind.field(), names) {
                Ok(v) => v,
                Err(r) => return *r,
            };
            let mut list = Vec::new();
            for n in values {
                match usize::try_from(n).ok().filter(|i| *i > 0).and_then(|i| names.get(i)) {
                    Some(name) if !list.contains(&J::String((*name).into())) => list.push(J::String((*name).into())),
                    Some(_) => {}
                    None => {
                        let id = if kind == FactorList::Second { "Org-SFeea" } else { "Org-WSfrg" };
                        return zitadel_error(3, "Multifactor invalid", id);
                    }
                }
            }
            listed.extend(list.iter().filter_map(|t| t.as_str()).map(|t| (kind, t.to_string())));
            policy[kind.field()] = J::Array(list);
        }
        let links = match b.objects("idps").and_then(|idps| idp_links(&idps)) {
            Ok(l) => l,
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        if s.drops_links_flag_on_create {
            policy[NOTIFICATION_LINKS] = J::Bool(false);
        }
        if s.live.orgs.get(&org).is_some_and(Option::is_some) {
            return zitadel_error(6, "Login Policy already exists", "Org-Dgfb2");
        }
        // Only the instance's identity provider exists in this emulator.
        if links.iter().any(|l| l != INSTANCE_IDP) {
            return zitadel_error(9, "Identity Provider Configuration doesn't exist", "Org-FEd32");
        }
        policy["idps"] = J::Array(
            links
                .iter()
                .map(|_| json!({"idpId": INSTANCE_IDP, "idpName": "Google", "idpType": "IDP_TYPE_OIDC"}))
                .collect(),
        );
        s.before_write();
        // LoginPolicyAdded plus one factor-added event per listed factor; ghosts stay active.
        s.orgs.get_mut(&org).expect("authorized org exists").active.extend(listed);
        s.live.orgs.insert(org.clone(), Some(policy));
        let d = s.details(&org);
        ok(d)
    }

    /// `PUT /management/v1/policies/login` or `PUT /admin/v1/policies/login`: replaces every
    /// settings field; a request that changes nothing is refused (NotChanged).
    pub(super) fn update_policy(&self, h: HeaderMap, body: Bytes, org_scope: bool) -> Response {
        let org = match self.authorize(&h, org_scope) {
            Ok(o) => o,
            Err(r) => return *r,
        };
        let message = if org_scope { "UpdateCustomLoginPolicyRequest" } else { "UpdateLoginPolicyRequest" };
        let b = match Body::parse(&body, message) {
            Ok(b) => b,
            Err(r) => return *r,
        };
        let ids = if org_scope { ("Org-Sfd21", "Org-Sdf12") } else { ("IAM-SFdqd", "IAM-FGbqs") };
        let fields = match self.settings_from(&b, ids) {
            Ok(m) => m,
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        let current = match &org {
            Some(o) => match s.live.orgs.get(o) {
                Some(Some(p)) => p.clone(),
                _ => return zitadel_error(5, "Login Policy not found", "Org-M0sif"),
            },
            None => s.live.default_policy.clone(),
        };
        let changed = fields.iter().any(|(k, v)| current.get(k).unwrap_or(&J::Null) != v);
        if !changed {
            // en.yaml translates the instance's key (Errors.Instance.LoginPolicy.NotChanged, the text
            // live servers answer); Errors.Org.LoginPolicy.NotChanged has no entry, so its raw key is
            // the message.
            return match org {
                Some(_) => zitadel_error(9, "Errors.Org.LoginPolicy.NotChanged", "Org-5M9vdd"),
                None => zitadel_error(9, "Default Login Policy has not been changed", "INSTANCE-5M9vdd"),
            };
        }
        s.before_write();
        let target = match &org {
            Some(o) => s.live.orgs.get_mut(o).and_then(Option::as_mut).expect("checked"),
            None => &mut s.live.default_policy,
        };
        for (k, v) in fields {
            target[k] = v;
        }
        let d = s.details(org.as_deref().unwrap_or(INSTANCE_ID));
        ok(d)
    }

    pub(super) fn reset_org_policy(&self, h: HeaderMap) -> Response {
        let org = match self.authorize(&h, true) {
            Ok(o) => o.expect("org scope"),
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        if !s.live.orgs.get(&org).is_some_and(Option::is_some) {
            return zitadel_error(5, "Login Policy not found", "Org-GHB37");
        }
        s.before_write();
        s.live.orgs.insert(org.clone(), None);
        s.orgs.get_mut(&org).expect("checked").active.clear();
        let d = s.details(&org);
        ok(d)
    }

    pub(super) fn list(&self, h: HeaderMap, kind: FactorList, org_scope: bool) -> Response {
        let org = match self.authorize(&h, org_scope) {
            Ok(o) => o,
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        let rm = s.read();
        // The management list answers with the defaults' factors for an inheriting
        // organization, without saying so (`MultiFactorsByOrg`: org row OR instance row).
        let policy =
            org.as_ref().and_then(|o| rm.orgs.get(o).cloned().flatten()).unwrap_or_else(|| rm.default_policy.clone());
        let result = list_of(&policy, kind);
        ok(json!({"details": {"totalResult": result.len().to_string()}, "result": result}))
    }

    /// The factor type of an add body or a remove path, validated as the gateway does.
    fn factor_type(&self, kind: FactorList, add: bool, raw: &J) -> Result<String, Rejected> {
        let names = kind.names(self.state.lock().expect("state").recovery_codes);
        let message = kind.request_message(add);
        let n: i64 = match raw {
            // An add body: protojson ignores an unknown name (the field stays 0).
            J::String(s) if add => names.iter().position(|x| x == s).map_or(0, |i| i as i64),
            // A path parameter: `runtime.Enum` takes a name, else a number that must be defined.
            J::String(s) => match names.iter().position(|x| x == s) {
                Some(i) => i as i64,
                None => match s.parse::<i64>() {
                    Ok(n) if (0..names.len() as i64).contains(&n) => n,
                    _ => {
                        return Err(Box::new(gateway_error(
                            3,
                            &format!("type mismatch, parameter: type, error: {s} is not valid"),
                        )));
                    }
                },
            },
            J::Number(n) => n.as_i64().unwrap_or(-1),
            J::Null => 0,
            other => {
                return Err(Box::new(gateway_error(
                    3,
                    &format!("proto: {message}.type: invalid value for enum: {other}"),
                )));
            }
        };
        if n == 0 {
            return Err(Box::new(gateway_error(3, &format!("invalid {message}.Type: value must not be in list [0]"))));
        }
        usize::try_from(n).ok().and_then(|i| names.get(i)).map(|s| s.to_string()).ok_or_else(|| {
            Box::new(gateway_error(3, &format!("invalid {message}.Type: value must be one of the defined enum values")))
        })
    }

    pub(super) fn add(&self, h: HeaderMap, body: Bytes, kind: FactorList, org_scope: bool) -> Response {
        let org = match self.authorize(&h, org_scope) {
            Ok(o) => o,
            Err(r) => return *r,
        };
        let raw = match Body::parse(&body, kind.request_message(true)) {
            Ok(_) => serde_json::from_slice::<J>(&body).ok().and_then(|b| b.get("type").cloned()).unwrap_or(J::Null),
            Err(r) => return *r,
        };
        let ty = match self.factor_type(kind, true, &raw) {
            Ok(t) => t,
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        match &org {
            Some(o) => {
                let key = (kind, ty.clone());
                if s.orgs[o].active.contains(&key) {
                    let (code, text, id) = factor_error(kind, true, true);
                    return zitadel_error(code, text, id);
                }
                s.before_write();
                s.orgs.get_mut(o).expect("authorized").active.insert(key);
                // The projection updates the organization's row; an inheriting one has none.
                if let Some(Some(p)) = s.live.orgs.get_mut(o)
                    && let Some(a) = p[kind.field()].as_array_mut()
                {
                    a.push(J::String(ty));
                }
            }
            None => {
                if list_of(&s.live.default_policy, kind).contains(&ty) {
                    let (code, text, id) = factor_error(kind, false, true);
                    return zitadel_error(code, text, id);
                }
                s.before_write();
                let list = &mut s.live.default_policy[kind.field()];
                if !list.is_array() {
                    *list = json!([]);
                }
                list.as_array_mut().expect("list").push(J::String(ty));
            }
        }
        let owner = org.unwrap_or_else(|| INSTANCE_ID.to_string());
        let d = s.details(&owner);
        ok(d)
    }

    pub(super) fn remove(&self, h: HeaderMap, ty: String, kind: FactorList, org_scope: bool) -> Response {
        if self.state.lock().expect("state").misroute_deletes {
            return gateway::not_found_route();
        }
        let org = match self.authorize(&h, org_scope) {
            Ok(o) => o,
            Err(r) => return *r,
        };
        let ty = match self.factor_type(kind, false, &J::String(ty)) {
            Ok(t) => t,
            Err(r) => return *r,
        };
        let mut s = self.state.lock().expect("state");
        let present = match &org {
            Some(o) => s.orgs[o].active.contains(&(kind, ty.clone())),
            None => list_of(&s.live.default_policy, kind).contains(&ty),
        };
        if !present {
            let (code, text, id) = factor_error(kind, org.is_some(), false);
            return zitadel_error(code, text, id);
        }
        s.before_write();
        match &org {
            Some(o) => {
                s.orgs.get_mut(o).expect("authorized").active.remove(&(kind, ty.clone()));
                if let Some(Some(p)) = s.live.orgs.get_mut(o)
                    && let Some(a) = p[kind.field()].as_array_mut()
                {
                    a.retain(|x| x != ty.as_str());
                }
            }
            None => {
                if let Some(a) = s.live.default_policy[kind.field()].as_array_mut() {
                    a.retain(|x| x != ty.as_str());
                }
            }
        }
        let owner = org.unwrap_or_else(|| INSTANCE_ID.to_string());
        let d = s.details(&owner);
        ok(d)
    }
}

/// `domain.ValidateDefaultRedirectURI`: empty is fine; http(s) needs a host; other schemes
/// (app deep links) pass.
fn redirect_uri_valid(uri: &str) -> bool {
    if uri.is_empty() {
        return true;
    }
    match url::Url::parse(uri) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u.host_str().is_some_and(|h| !h.is_empty()),
        Ok(_) => true,
        Err(_) => false,
    }
}

/// The identity providers an `AddCustomLoginPolicyRequest` links, validated as the gateway's
/// protoc-gen-validate rules do (`IdpId` 1 to 200 runes, `OwnerType` not 0).
fn idp_links(idps: &[Map<String, J>]) -> Result<Vec<String>, Box<Response>> {
    let mut links = Vec::new();
    for idp in idps {
        let id = idp.get("idpId").and_then(J::as_str).unwrap_or_default();
        if id.is_empty() || id.len() > 200 {
            return Err(Box::new(gateway_error(
                3,
                "invalid AddCustomLoginPolicyRequest_IDP.IdpId: value length must be between 1 and 200 runes, inclusive",
            )));
        }
        let owner = match idp.get("ownerType") {
            Some(J::String(s)) => IDP_OWNER_TYPES.iter().position(|n| n == s).unwrap_or(0),
            Some(J::Number(n)) => n.as_u64().map(|n| n as usize).unwrap_or(99),
            _ => 0,
        };
        if owner == 0 || owner >= IDP_OWNER_TYPES.len() {
            return Err(Box::new(gateway_error(
                3,
                "invalid AddCustomLoginPolicyRequest_IDP.OwnerType: value must not be in list [0]",
            )));
        }
        links.push(id.to_string());
    }
    Ok(links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_as_zitadel_validates_them() {
        for ok in ["", "https://acme.example/cb", "myapp://callback"] {
            assert!(redirect_uri_valid(ok), "{ok}");
        }
        for bad in ["not a uri", "https://"] {
            assert!(!redirect_uri_valid(bad), "{bad}");
        }
    }
}
