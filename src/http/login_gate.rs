//! One failed login per run. A login the vendor refused for its credentials (a wrong or rotated
//! password, a revoked key) is remembered by the provider process, and every later call of that
//! provider fails at once with the same error instead of logging in again: an estate of thirty
//! businesses must not become thirty failed logins, which trips the vendor's brute-force lock
//! (DocSpace's `BruteForceLoginManager`, Akana's failed-login limit) and locks the automation
//! account out — with the right password too, until the lock expires.

use std::sync::OnceLock;

/// The refusal, once there was one.
#[derive(Debug)]
pub struct LoginGate<E> {
    refused: OnceLock<E>,
}

impl<E> Default for LoginGate<E> {
    fn default() -> Self {
        LoginGate { refused: OnceLock::new() }
    }
}

impl<E: Clone> LoginGate<E> {
    /// The remembered refusal: return it instead of trying to log in.
    pub fn refused(&self) -> Result<(), E> {
        match self.refused.get() {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Remembers a login that failed for its credentials (the first one stays).
    pub fn remember(&self, e: &E) {
        if self.refused.set(e.clone()).is_ok() {
            log::info!("login refused; no further login is tried by this provider process");
        }
    }

    /// Runs a login unless one was refused already; remembers the result's error when
    /// `is_refusal` says the credentials were refused (not a network failure, which may pass).
    pub async fn login<T, F>(&self, login: F, is_refusal: impl Fn(&E) -> bool) -> Result<T, E>
    where
        F: std::future::Future<Output = Result<T, E>>,
    {
        self.refused()?;
        let r = login.await;
        if let Err(e) = &r
            && is_refusal(e)
        {
            self.remember(e);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_login_is_not_tried_again_and_a_network_failure_is() {
        let gate = LoginGate::<String>::default();
        let tries = std::sync::atomic::AtomicU32::new(0);
        let counter = &tries;
        let attempt = move |e: &'static str| async move {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Err::<(), String>(e.to_string())
        };
        let refusal = |e: &String| e == "401";
        assert_eq!(gate.login(attempt("timeout"), refusal).await.unwrap_err(), "timeout");
        assert_eq!(gate.login(attempt("401"), refusal).await.unwrap_err(), "401");
        assert_eq!(gate.login(attempt("401"), refusal).await.unwrap_err(), "401");
        assert_eq!(tries.load(std::sync::atomic::Ordering::SeqCst), 2, "the third login is never tried");
    }
}
