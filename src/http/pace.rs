//! The pace of one host, shared by every request of one provider process to it. A vendor that
//! limits requests per second answers 429 once its budget is spent; if each request only waited
//! out its own 429, Terraform's parallel calls would keep hitting the limit. So a 429 slows every
//! request to the host: from then on requests are spaced at the rate the host was seen to accept
//! (what succeeded in the last second, a little less), which grows again by one request per
//! second every [`PROBE`] without a 429 (additive increase, multiplicative decrease). A
//! `Retry-After` of a second is a token bucket's rounding (Rhombus: "always at least 1
//! second"): the limited request waits it out, the others keep to the rate. A longer one is a
//! pause of the host's: every request waits it out. Waiting for the pace is not an attempt: it
//! never counts toward `max_retries`.
//!
//! The pace lives in one provider process. Provider aliases and parallel workspaces each have
//! their own, while sharing the vendor's limit.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The window in which accepted requests are counted to estimate the host's rate.
const WINDOW: Duration = Duration::from_secs(1);
/// How long without a 429 before the rate is raised by one request per second.
const PROBE: Duration = Duration::from_secs(2);
/// The shortest `Retry-After` that pauses every request, not only the one that got it.
const HOST_PAUSE: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
struct State {
    /// Nobody sends before this (the latest `Retry-After`).
    not_before: Option<Instant>,
    /// Requests per second, once the host has limited us.
    rate: Option<f64>,
    /// When the next request may go at that rate.
    next_slot: Option<Instant>,
    /// When the rate last changed (limited or raised).
    changed: Option<Instant>,
    /// Answers that were not 429, within the last [`WINDOW`].
    accepted: VecDeque<Instant>,
}

/// One host's pace.
#[derive(Debug, Default)]
pub struct Pace {
    state: Mutex<State>,
}

impl Pace {
    /// Waits until a request may go: after the host's latest `Retry-After`, and at its rate.
    pub async fn admit(&self) {
        loop {
            let wait = {
                let mut s = self.state.lock().expect("pace");
                let now = Instant::now();
                s.raise(now);
                let mut at = s.not_before.map_or(now, |t| t.max(now));
                if let Some(rate) = s.rate {
                    let slot = s.next_slot.unwrap_or(at);
                    at = at.max(slot);
                    if at <= now {
                        s.next_slot = Some(now.max(slot) + Duration::from_secs_f64(1.0 / rate));
                    }
                }
                at.saturating_duration_since(now)
            };
            if wait.is_zero() {
                return;
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// The host answered (anything but 429).
    pub fn accepted(&self) {
        let mut s = self.state.lock().expect("pace");
        let now = Instant::now();
        s.accepted.push_back(now);
        s.forget_old(now);
    }

    /// The host answered 429, asking to wait `retry_after` if it said. `Retry-After: 0` says no
    /// wait is needed, so it changes nothing.
    pub fn limited(&self, retry_after: Option<Duration>) {
        if retry_after == Some(Duration::ZERO) {
            return;
        }
        let mut s = self.state.lock().expect("pace");
        let now = Instant::now();
        let asked = retry_after.unwrap_or(Duration::ZERO);
        let until = if asked >= HOST_PAUSE { now + asked } else { now };
        s.not_before = Some(s.not_before.map_or(until, |t| t.max(until)));
        s.forget_old(now);
        // Requests already in flight when the rate was set bring more 429s: lower it at most
        // once per window.
        if s.rate.is_none() || s.changed.is_none_or(|c| now.saturating_duration_since(c) >= WINDOW) {
            let seen = s.accepted.len() as f64 * 0.9;
            let rate = s.rate.map_or(seen, |r| seen.min(r * 0.9));
            s.rate = Some(rate.max(1.0));
            // The quiet time that raises the rate again counts from the end of the wait.
            s.changed = Some(until);
            s.next_slot = Some(until);
        }
    }

    /// The rate requests are spaced at, if the host ever limited them.
    pub fn rate(&self) -> Option<f64> {
        self.state.lock().expect("pace").rate
    }
}

impl State {
    /// One more request per second for every [`PROBE`] without a 429.
    fn raise(&mut self, now: Instant) {
        if let (Some(rate), Some(changed)) = (self.rate, self.changed) {
            let steps = (now.saturating_duration_since(changed).as_secs_f64() / PROBE.as_secs_f64()).floor();
            if steps >= 1.0 {
                self.rate = Some(rate + steps);
                self.changed = Some(changed + PROBE.mul_f64(steps));
            }
        }
    }

    fn forget_old(&mut self, now: Instant) {
        while self.accepted.front().is_some_and(|t| now.saturating_duration_since(*t) > WINDOW) {
            self.accepted.pop_front();
        }
    }
}

/// One provider process's own cap on its request rate (`requests_per_second`), so that parallel
/// workspaces or CI shards can split a tenant's rate limit between them (what the Okta
/// provider's `max_api_capacity` is for). Requests are spaced evenly, without bursts.
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Throttle {
    pub fn new(per_second: f64) -> Self {
        Throttle { interval: Duration::from_secs_f64(1.0 / per_second.max(0.001)), next: Mutex::new(None) }
    }

    /// Waits for this request's slot.
    pub async fn admit(&self) {
        let at = {
            let mut next = self.next.lock().expect("throttle");
            let now = Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + self.interval);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_rate_limit_slows_everyone_and_the_pace_recovers() {
        let p = Pace::default();
        // Unlimited until the host says otherwise.
        let t0 = Instant::now();
        for _ in 0..20 {
            p.admit().await;
            p.accepted();
        }
        assert_eq!(Instant::now(), t0, "no wait before the first 429");
        p.limited(Some(Duration::from_secs(1)));
        assert_eq!(p.rate(), Some(18.0), "90% of what was accepted in the last second");
        // A one-second Retry-After is the bucket's rounding: the others go on at the learned rate.
        p.admit().await;
        assert_eq!(Instant::now(), t0);
        // More 429s from requests already in flight do not lower it again within the window,
        // and `Retry-After: 0` (go again at once) is no sign of a limit at all.
        p.limited(None);
        p.limited(Some(Duration::ZERO));
        assert_eq!(p.rate(), Some(18.0));
        let start = Instant::now();
        for _ in 0..18 {
            p.admit().await;
            p.accepted();
        }
        let spent = Instant::now().duration_since(start).as_secs_f64();
        assert!((0.9..1.1).contains(&spent), "18 requests at 18/s take about a second: {spent}");
        tokio::time::sleep(Duration::from_secs(5)).await;
        p.admit().await;
        assert!(p.rate().unwrap() >= 20.0, "recovers by one every two quiet seconds: {:?}", p.rate());
    }

    #[tokio::test(start_paused = true)]
    async fn a_longer_retry_after_pauses_every_request() {
        let p = Pace::default();
        let t0 = Instant::now();
        p.accepted();
        p.limited(Some(Duration::from_secs(30)));
        p.admit().await;
        assert_eq!(Instant::now().duration_since(t0), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn the_throttle_spaces_requests_evenly() {
        let t = Throttle::new(4.0);
        let start = Instant::now();
        for _ in 0..5 {
            t.admit().await;
        }
        // The first goes at once, the other four a quarter of a second apart.
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
    }
}
