//! A vendor's request-rate limit: a token bucket per emulator, answering 429 with `Retry-After`
//! in whole seconds, at least 1, as Rhombus documents its limit ("a sustained refill rate
//! (requests per second)" and "a burst capacity"; "Retry-After … always at least 1 second",
//! api-docs.rhombus.community/rate-limits). ZITADEL Cloud limits per IP at its edge and answers
//! 429 (zitadel.com/docs/legal/policies/rate-limit-policy); DocSpace's optional limiter sends
//! `Retry-After` in whole seconds and no body (`RedisRateLimiting.AspNetCore` `RateLimitMetadata`).
//! Each vendor's body is the emulator's [`crate::EmulatorApp::too_many_requests`].

use std::time::{Duration, Instant};

/// `N` requests per second with a burst of `burst`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl RateLimit {
    /// `20/s` (burst = rate) or `20/s,burst=40`.
    pub fn parse(spec: &str) -> Result<RateLimit, String> {
        let mut parts = spec.split(',');
        let rate = parts.next().unwrap_or_default().trim();
        let n = rate.strip_suffix("/s").ok_or_else(|| format!("rate limit {spec:?}: expected N/s, e.g. 20/s"))?;
        let per_second: f64 = n.parse().map_err(|_| format!("rate limit {spec:?}: {n:?} is not a number"))?;
        if per_second <= 0.0 {
            return Err(format!("rate limit {spec:?}: the rate must be above 0"));
        }
        let mut burst = per_second;
        for p in parts {
            match p.trim().split_once('=') {
                Some(("burst", b)) => burst = b.parse().map_err(|_| format!("rate limit {spec:?}: bad burst {b:?}"))?,
                _ => return Err(format!("rate limit {spec:?}: unknown part {p:?} (only burst=N)")),
            }
        }
        Ok(RateLimit { per_second, burst: burst.max(1.0) })
    }
}

/// The bucket's state.
#[derive(Debug)]
pub struct Bucket {
    limit: RateLimit,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(limit: RateLimit) -> Bucket {
        Bucket { limit, tokens: limit.burst, last: Instant::now() }
    }

    /// Takes a token, or says after how many whole seconds one is there again.
    pub fn take(&mut self, now: Instant) -> Result<(), u64> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.limit.per_second).min(self.limit.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let wait = Duration::from_secs_f64((1.0 - self.tokens) / self.limit.per_second);
        Err(wait.as_secs_f64().ceil().max(1.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate_with_whole_second_retry_after() {
        let limit = RateLimit::parse("20/s").unwrap();
        assert_eq!(limit, RateLimit { per_second: 20.0, burst: 20.0 });
        assert_eq!(RateLimit::parse("5/s,burst=50").unwrap().burst, 50.0);
        assert!(RateLimit::parse("20").is_err() && RateLimit::parse("0/s").is_err());
        let t0 = Instant::now();
        let mut b = Bucket::new(limit);
        for _ in 0..20 {
            assert!(b.take(t0).is_ok());
        }
        assert_eq!(b.take(t0), Err(1), "whole seconds, at least 1");
        // 100 ms later two tokens are back.
        let t1 = t0 + Duration::from_millis(100);
        assert!(b.take(t1).is_ok() && b.take(t1).is_ok());
        assert!(b.take(t1).is_err());
    }
}
