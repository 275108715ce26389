//! The retry budget of one logical call. `max_retries` bounds how often anything is sent again:
//! a repeat after a rate limit, a gateway error or a broken connection, and — for a change that
//! must be verified — a resend and every repeated read-back. A plain request spends its own
//! budget; [`scoped`] gives a whole logical call (a write and the reads that verify it) one
//! budget, which every request made inside it draws from, however deep in a vendor's client.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

tokio::task_local! {
    static CURRENT: Arc<Budget>;
}

/// Repeats left for one logical call.
#[derive(Debug)]
pub struct Budget {
    left: AtomicU32,
}

impl Budget {
    pub fn new(max_retries: u32) -> Arc<Budget> {
        Arc::new(Budget { left: AtomicU32::new(max_retries) })
    }

    /// Takes one repeat; false when none is left.
    pub fn take(&self) -> bool {
        self.left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_ok()
    }

    pub fn left(&self) -> u32 {
        self.left.load(Ordering::Acquire)
    }

    /// The budget of the logical call being made, if a [`scoped`] one is running.
    pub fn current() -> Option<Arc<Budget>> {
        CURRENT.try_with(Arc::clone).ok()
    }

    /// The scoped budget, or a fresh one of `max_retries` for a call made on its own.
    pub fn current_or(max_retries: u32) -> Arc<Budget> {
        Self::current().unwrap_or_else(|| Self::new(max_retries))
    }
}

/// Runs `f` with `budget` as the budget of every request made inside it.
pub async fn scoped<F: Future>(budget: Arc<Budget>, f: F) -> F::Output {
    CURRENT.scope(budget, f).await
}

/// Carries the current budget (if any) into a future that may be polled by another task (a read
/// shared between callers), so its requests draw from the budget of the call that started it.
pub fn carry<F: Future>(f: F) -> impl Future<Output = F::Output> {
    let budget = Budget::current();
    async move {
        match budget {
            Some(b) => CURRENT.scope(b, f).await,
            None => f.await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scoped_budget_is_shared_and_runs_out() {
        assert!(Budget::current().is_none());
        let b = Budget::new(2);
        scoped(b.clone(), async {
            assert!(Budget::current_or(9).take());
            let inner = carry(async { Budget::current_or(9).take() });
            assert!(tokio::spawn(inner).await.unwrap(), "a carried budget follows the future into another task");
            assert!(!Budget::current_or(9).take(), "two repeats, then none");
        })
        .await;
        assert_eq!(b.left(), 0);
        // Outside a scope every call has its own.
        assert_eq!(Budget::current_or(3).left(), 3);
    }
}
