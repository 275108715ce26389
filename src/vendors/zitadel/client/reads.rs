//! Reads of a scope's login policy, shared within one provider process.
//!
//! - A read of a scope already in flight is joined instead of sending another.
//! - A read's answer serves later reads of the same scope until this process writes to that scope:
//!   a refresh of five factors of one organization reads its policy once. Each Terraform command
//!   runs its own provider process, so every command reads the server afresh and a change made
//!   in the console shows in the very next plan. Waiting for a write to become visible always
//!   reads afresh ([`ZitadelClient::policy_fresh`]).
//! - Factors added to one scope by creates queued behind each other are confirmed by one read:
//!   a create whose add was answered waits for the next read of the scope instead of sending its
//!   own (see [`ZitadelClient::confirmation`]).
//! - An answered add is read back until this server has shown that its reads follow its writes:
//!   newer ZITADEL releases bring the login-policy projection up to date before every read
//!   (`LoginPolicyByID(ctx, true, ...)` in `internal/query/login_policy.go`), older ones may lag.
//!   Once a read-back found its add at the first read, later answered adds are taken at their
//!   word; a read-back that needed a second read keeps every later one in place for the rest of
//!   the process.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::{FactorKind, Policy, Scope, ZitadelClient, ZitadelError};

type SharedRead = Shared<BoxFuture<'static, Result<Policy, ZitadelError>>>;

/// An add waiting for a read that shows it.
struct Pending {
    kind: FactorKind,
    ty: String,
    done: oneshot::Sender<()>,
}

#[derive(Default)]
struct State {
    /// Reads in flight, by scope: `(read number, future)`.
    in_flight: HashMap<String, (u64, SharedRead)>,
    next: u64,
    /// The last answer per scope, while no write to it followed.
    known: HashMap<String, Policy>,
    /// Bumped by every write to a scope: a read that started before it is not kept.
    writes: HashMap<String, u64>,
    pending: HashMap<String, Vec<Pending>>,
    /// Organizations seen with settings of their own (no write of this provider undoes that).
    own_settings: HashSet<String>,
    /// Creates in progress per scope.
    creating: HashMap<String, usize>,
    /// What the read-backs of this process showed: `Some(true)` once the first one found its
    /// write at the first read, `Some(false)` for good once any needed more than one.
    reads_follow_writes: Option<bool>,
}

impl State {
    /// Read `n` of the scope is over: later reads start their own (unless a newer one is in flight).
    fn end_read(&mut self, key: &str, n: u64) {
        if self.in_flight.get(key).is_some_and(|(m, _)| *m == n) {
            self.in_flight.remove(key);
        }
    }
}

#[derive(Clone, Default)]
pub(super) struct Reads(Arc<Mutex<State>>);

impl Reads {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().expect("reads")
    }

    /// A read finished: keep it unless a write came after it started, and settle the adds it shows.
    fn finished(&self, key: &str, n: u64, writes_at_start: u64, policy: &Policy) {
        let mut s = self.lock();
        s.end_read(key, n);
        if s.writes.get(key).copied().unwrap_or(0) == writes_at_start {
            s.known.insert(key.to_string(), policy.clone());
        }
        if !policy.inherits {
            s.own_settings.insert(key.to_string());
        }
        if let Some(list) = s.pending.get_mut(key) {
            let (shown, rest): (Vec<Pending>, Vec<Pending>) =
                std::mem::take(list).into_iter().partition(|p| policy.has(p.kind, &p.ty));
            *list = rest;
            for p in shown {
                let _ = p.done.send(());
            }
        }
    }
}

/// Held while a create of a scope has yet to send its add.
pub struct Creating {
    reads: Reads,
    key: String,
    counted: bool,
}

impl Creating {
    fn done(&mut self, s: &mut State) {
        if std::mem::take(&mut self.counted)
            && let Some(n) = s.creating.get_mut(&self.key)
        {
            *n = n.saturating_sub(1);
        }
    }
}

impl Drop for Creating {
    fn drop(&mut self) {
        let reads = self.reads.clone();
        self.done(&mut reads.lock());
    }
}

impl ZitadelClient {
    /// The scope's login policy: what this process last read of it if it wrote nothing since,
    /// else a read (joined when one is in flight).
    pub async fn policy(&self, scope: &Scope, cancel: &CancellationToken) -> Result<Policy, ZitadelError> {
        let key = scope.key();
        let read = {
            let mut s = self.reads.lock();
            if let Some(p) = s.known.get(&key) {
                return Ok(p.clone());
            }
            match s.in_flight.get(&key) {
                Some((_, shared)) => shared.clone(),
                None => {
                    let n = s.next;
                    s.next += 1;
                    let writes = s.writes.get(&key).copied().unwrap_or(0);
                    let (api, scope, cancel, reads, key2) =
                        (self.api.clone(), scope.clone(), cancel.clone(), self.reads.clone(), key.clone());
                    // Whoever polls the shared read, its requests draw from the budget of the
                    // call that started it.
                    let fut = crate::http::budget::carry(async move {
                        let r = api.policy(&scope, &cancel).await;
                        match &r {
                            Ok(p) => reads.finished(&key2, n, writes, p),
                            Err(_) => reads.lock().end_read(&key2, n),
                        }
                        r
                    })
                    .boxed()
                    .shared();
                    s.in_flight.insert(key, (n, fut.clone()));
                    fut
                }
            }
        };
        read.await
    }

    /// The scope's login policy as the server shows it now: for read-backs after a write.
    pub async fn policy_fresh(&self, scope: &Scope, cancel: &CancellationToken) -> Result<Policy, ZitadelError> {
        self.reads.lock().known.remove(&scope.key());
        self.policy(scope, cancel).await
    }

    /// Before and after a write: later reads must not join or reuse one that started before it.
    pub(super) fn forget_reads(&self, scope: &Scope) {
        let key = scope.key();
        let mut s = self.reads.lock();
        s.in_flight.remove(&key);
        s.known.remove(&key);
        *s.writes.entry(key).or_default() += 1;
    }

    /// Whether a read-back after an answered add can be left out: this server showed a write at
    /// the first read after it, and never lagged since, in this process.
    pub fn reads_follow_writes(&self) -> bool {
        self.reads.lock().reads_follow_writes == Some(true)
    }

    /// A read-back found its write after `reads` reads.
    /// Once it follows, answered adds waiting for a read are taken at their word too.
    pub fn read_back_took(&self, reads: u32) {
        let mut s = self.reads.lock();
        s.reads_follow_writes = match (s.reads_follow_writes, reads) {
            (Some(false), _) | (_, 2..) => Some(false),
            (_, _) => Some(true),
        };
        if s.reads_follow_writes == Some(true) {
            for p in s.pending.drain().flat_map(|(_, list)| list) {
                let _ = p.done.send(());
            }
        }
    }

    /// Whether this process has seen the organization with settings of its own.
    pub fn has_own_settings(&self, scope: &Scope) -> bool {
        self.reads.lock().own_settings.contains(&scope.key())
    }

    /// Marks a create of `scope` in progress until its add was answered (or the guard dropped).
    pub fn creating(&self, scope: &Scope) -> Creating {
        let key = scope.key();
        *self.reads.lock().creating.entry(key.clone()).or_default() += 1;
        Creating { reads: self.reads.clone(), key, counted: true }
    }

    /// For an add that was answered: when other creates of the scope have yet to send theirs, a
    /// receiver that fires once a read of the scope shows the factor (the last one's read-back);
    /// `None` when this is the last, which reads back itself.
    pub fn confirmation(&self, creating: &mut Creating, kind: FactorKind, ty: &str) -> Option<oneshot::Receiver<()>> {
        let mut s = self.reads.lock();
        creating.done(&mut s);
        if s.creating.get(&creating.key).copied().unwrap_or(0) == 0 {
            return None;
        }
        let (done, rx) = oneshot::channel();
        s.pending.entry(creating.key.clone()).or_default().push(Pending { kind, ty: ty.to_string(), done });
        Some(rx)
    }
}
