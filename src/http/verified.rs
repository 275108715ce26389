//! Changes that must not be repeated blindly: an add that fails the second time, a write with side
//! effects. One attempt is made; when its outcome is unknown the vendor's read-back decides, and
//! the change is sent again only if it certainly did not take effect. The change and its
//! read-backs share one `max_retries` budget ([`super::budget`]).

use std::future::Future;

use tokio_util::sync::CancellationToken;

use super::budget::{self, Budget};
use super::client::HttpClient;
use super::error::{OutcomeUnknown, Uncertain, Wrote};

impl HttpClient {
    /// Makes a change that must not be repeated blindly. `send` makes one attempt; when its
    /// outcome is unknown, `took_effect` reads the remote state, and the change is sent again only
    /// if it certainly did not take effect. A read-back that keeps failing ends in
    /// [`OutcomeUnknown`]; a read-back showing the change ends the loop as [`Wrote::Confirmed`].
    /// Every repeat — of the change, of a read-back, or inside either (a 429) — takes one of
    /// `max_retries`.
    ///
    /// (Closures returning futures rather than async closures: the latter cannot yet be proven
    /// `Send` inside the async-trait methods that call this.)
    pub async fn write_verified<T, E, S, SF, C, CF>(
        &self,
        call: &str,
        cancel: &CancellationToken,
        send: S,
        took_effect: C,
    ) -> Result<Wrote<T>, E>
    where
        E: Uncertain + std::fmt::Display + From<OutcomeUnknown>,
        S: FnMut() -> SF,
        SF: Future<Output = Result<T, E>>,
        C: FnMut() -> CF,
        CF: Future<Output = Result<bool, E>>,
    {
        let shared = Budget::current_or(self.max_retries());
        budget::scoped(shared.clone(), self.verify_loop(call, cancel, &shared, send, took_effect)).await
    }

    async fn verify_loop<T, E, S, SF, C, CF>(
        &self,
        call: &str,
        cancel: &CancellationToken,
        budget: &Budget,
        mut send: S,
        mut took_effect: C,
    ) -> Result<Wrote<T>, E>
    where
        E: Uncertain + std::fmt::Display + From<OutcomeUnknown>,
        S: FnMut() -> SF,
        SF: Future<Output = Result<T, E>>,
        C: FnMut() -> CF,
        CF: Future<Output = Result<bool, E>>,
    {
        let vendor = self.vendor();
        let unknown = |attempts: u32, cause: String| OutcomeUnknown { vendor, call: call.to_string(), attempts, cause };
        let mut delays = self.backoff();
        let mut sends = 0;
        loop {
            sends += 1;
            let uncertain = match send().await {
                Ok(answer) => return Ok(Wrote::Answered(answer)),
                Err(e) if e.may_have_landed() => e,
                Err(e) => return Err(e),
            };
            log::info!("{vendor}: outcome of {call} unknown ({uncertain}); reading back before anything else");
            loop {
                if cancel.is_cancelled() {
                    return Err(unknown(sends, format!("{uncertain}; then Terraform asked to stop")).into());
                }
                match took_effect().await {
                    Ok(true) => return Ok(Wrote::Confirmed),
                    Ok(false) => break,
                    Err(e) if e.is_transient() && budget.take() => {
                        let d = delays.next().unwrap_or_default();
                        if !self.pause(d, cancel).await {
                            return Err(unknown(sends, format!("{uncertain}; then Terraform asked to stop")).into());
                        }
                    }
                    Err(e) if e.is_transient() || e.may_have_landed() => {
                        return Err(unknown(sends, format!("{uncertain}; reading back failed too: {e}")).into());
                    }
                    Err(e) => return Err(e),
                }
            }
            // It certainly did not take effect: try again while the budget lasts.
            if !budget.take() {
                return Err(uncertain);
            }
            log::info!("{vendor}: {call} did not take effect; sending it again (attempt {})", sends + 1);
            let d = delays.next().unwrap_or_default();
            if !self.pause(d, cancel).await {
                return Err(uncertain);
            }
        }
    }
}
