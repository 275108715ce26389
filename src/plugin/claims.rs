//! One remote object, one resource. Two resources of a configuration that manage the same remote
//! object would undo each other's changes on every apply, so the second one's plan fails — but a
//! forced replacement is one resource planned twice. Terraform plans `-replace`,
//! `replace_triggered_by`, a replacement the provider asks for and `create_before_destroy`
//! alike: a first PlanResourceChange with the prior state, then, once it decides to replace, a
//! second with a null prior whose `PriorPrivate` is the private data the first one returned
//! (`internal/terraform/node_resource_abstract_instance.go`, `plan`, from Terraform 1.0 to 1.16,
//! and OpenTofu's `internal/tofu` copy). So the first plan's private data carries a token naming
//! its claim, and a null-prior plan that brings the token back is the create half of that same
//! instance. The token lives only in plans: it is stripped before any resource sees the bytes and
//! before anything is stored. (A tainted object is planned once, with a null prior and no
//! private data: one claim.)
//!
//! At apply, a create that took an object over makes a later destroy of the same object in the
//! same walk — the deposed half of a `create_before_destroy` replacement, or the resource it moved
//! from — forget it only: restoring the adopted settings or removing the factor would undo what the
//! new instance just applied.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

const MARK: &[u8] = b"\0claim:";

/// The remote objects planned by resources in one provider process (each walk configures a
/// process of its own, so the claims start afresh with each configure).
#[derive(Default)]
pub struct Claims {
    by_object: Mutex<BTreeMap<String, Claim>>,
    next: AtomicU64,
    /// Objects a create of this walk now manages.
    created: Mutex<std::collections::BTreeSet<String>>,
}

struct Claim {
    type_name: &'static str,
    token: u64,
}

/// A second resource on an object already claimed: the type of the resource that claimed it.
pub struct Taken(pub &'static str);

impl Claims {
    pub fn clear(&self) {
        self.by_object.lock().expect("claims").clear();
        self.created.lock().expect("created").clear();
    }

    /// A create of this walk now manages `object`.
    pub fn created(&self, object: String) {
        self.created.lock().expect("created").insert(object);
    }

    /// Whether a create of this walk manages `object`: its destroy only forgets it.
    pub fn taken_over(&self, object: &str) -> bool {
        self.created.lock().expect("created").contains(object)
    }

    /// Claims `object` for a plan of `type_name`. `token` is what the plan's prior private data
    /// carried. `Ok(Some(t))`: a first claim, whose private data must carry `t` when the prior
    /// state is not null (a replacement may plan it again); `Ok(None)`: nothing to mark.
    pub fn claim(
        &self,
        object: String,
        type_name: &'static str,
        prior_is_null: bool,
        token: Option<u64>,
    ) -> Result<Option<u64>, Taken> {
        let mut claims = self.by_object.lock().expect("claims");
        match claims.get(&object) {
            // The create half of the replacement of the instance that claimed it.
            Some(c) if prior_is_null && token == Some(c.token) && c.type_name == type_name => Ok(None),
            Some(other) => Err(Taken(other.type_name)),
            None => {
                let t = self.next.fetch_add(1, Ordering::Relaxed) + 1;
                claims.insert(object, Claim { type_name, token: t });
                Ok((!prior_is_null).then_some(t))
            }
        }
    }
}

/// The claim token at the front of private bytes, and the bytes without it.
pub fn split(private: &[u8]) -> (Option<u64>, &[u8]) {
    let Some(rest) = private.strip_prefix(MARK) else { return (None, private) };
    let Some(end) = rest.iter().position(|b| *b == 0) else { return (None, private) };
    let token = std::str::from_utf8(&rest[..end]).ok().and_then(|t| t.parse().ok());
    (token, &rest[end + 1..])
}

/// `private` carrying `token` in front.
pub fn mark(token: u64, private: &[u8]) -> Vec<u8> {
    [MARK, token.to_string().as_bytes(), b"\0", private].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replacement_is_one_claim_and_a_second_resource_is_refused() {
        let c = Claims::default();
        let t = c.claim("org A".into(), "x_settings", false, None).ok().flatten().expect("marked");
        let private = mark(t, b"{\"adopted\":null}");
        let (back, rest) = split(&private);
        assert_eq!((back, rest), (Some(t), &b"{\"adopted\":null}"[..]));
        // The null-prior replan of the same instance.
        assert!(matches!(c.claim("org A".into(), "x_settings", true, back), Ok(None)));
        // Another resource: no token, or another type.
        assert!(matches!(c.claim("org A".into(), "x_settings", true, None), Err(Taken("x_settings"))));
        assert!(c.claim("org A".into(), "y_settings", true, back).is_err());
        // A create claims without a mark; unmarked bytes pass through.
        assert!(matches!(c.claim("org B".into(), "x_settings", true, None), Ok(None)));
        assert_eq!(split(b"{}"), (None, &b"{}"[..]));
    }
}
