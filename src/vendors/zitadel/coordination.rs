//! What the resources of one ZITADEL provider process agree on among themselves, apart from the
//! API: the changes their plans intend per scope (so that the lock-out guard judges a removal
//! together with the additions planned beside it), one lock per scope (the resources of one
//! apply change the same login settings one at a time), the factors that landed (a removal may
//! wait for its scope's addition), and factors a replacement forgot without removing.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::client::{FactorKind, Scope};

/// What the plans of one process intend for one scope's login.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub adds: BTreeSet<(FactorKind, String)>,
    pub removes: BTreeSet<(FactorKind, String)>,
    pub force_mfa: Option<bool>,
    pub user_login: Option<bool>,
    /// `Some(true)`: passwordless ALLOWED.
    pub passwordless: Option<bool>,
}

/// The coordination of one provider process.
#[derive(Default)]
pub struct Coordination {
    /// One lock per scope.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Planned changes by scope key.
    planned: Mutex<BTreeMap<String, Changes>>,
    /// Bumped when a factor lands in a scope, for a removal waiting to go after it.
    additions: Mutex<HashMap<String, tokio::sync::watch::Sender<u64>>>,
    /// Factors whose add had an unknown outcome and that a replacement forgot without removing:
    /// the replacement's create adopts one it finds as Terraform's own.
    forgotten: Mutex<HashSet<(String, FactorKind, String)>>,
}

impl Coordination {
    /// Records what a plan of this process intends for `scope`.
    pub fn plan_change(&self, scope: &Scope, change: impl FnOnce(&mut Changes)) {
        change(self.planned.lock().expect("planned").entry(scope.key()).or_default());
    }

    /// What the plans of this process intend for `scope` so far.
    pub fn planned(&self, scope: &Scope) -> Changes {
        self.planned.lock().expect("planned").get(&scope.key()).cloned().unwrap_or_default()
    }

    /// The lock serialising changes to one scope's login settings.
    pub fn lock_for(&self, scope: &Scope) -> Arc<tokio::sync::Mutex<()>> {
        self.locks.lock().expect("locks").entry(scope.key()).or_default().clone()
    }

    /// A receiver that sees every factor landing in `scope` from now on.
    pub fn watch_additions(&self, scope: &Scope) -> tokio::sync::watch::Receiver<u64> {
        self.additions
            .lock()
            .expect("additions")
            .entry(scope.key())
            .or_insert_with(|| tokio::sync::watch::channel(0).0)
            .subscribe()
    }

    /// A factor landed in `scope`.
    pub fn factor_added(&self, scope: &Scope) {
        if let Some(tx) = self.additions.lock().expect("additions").get(&scope.key()) {
            tx.send_modify(|n| *n += 1);
        }
    }

    pub fn forget_unconfirmed(&self, scope: &Scope, kind: FactorKind, ty: &str) {
        self.forgotten.lock().expect("forgotten").insert((scope.key(), kind, ty.to_string()));
    }

    pub fn was_forgotten(&self, scope: &Scope, kind: FactorKind, ty: &str) -> bool {
        self.forgotten.lock().expect("forgotten").contains(&(scope.key(), kind, ty.to_string()))
    }
}
