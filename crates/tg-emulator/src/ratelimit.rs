//! Telegram-like flood limits (token buckets).

use std::collections::HashMap;
use std::time::Instant;

use crate::types::EmulatorLimits;

/// The slowest refill a bucket takes: a rate of zero would never refill (nor say when).
const MIN_RATE: f64 = 1e-6;

#[derive(Clone, Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    capacity: f64,
    per_sec: f64,
}

impl Bucket {
    fn new(capacity: u32, per_sec: f64, now: Instant) -> Self {
        let capacity = f64::from(capacity);
        Self {
            tokens: capacity,
            last: now,
            capacity,
            per_sec: per_sec.max(MIN_RATE),
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.per_sec).min(self.capacity);
        self.last = now;
    }

    /// New size and rate: what is left stays, cut to the new size.
    fn resize(&mut self, capacity: u32, per_sec: f64, now: Instant) {
        self.refill(now);
        self.capacity = f64::from(capacity);
        self.per_sec = per_sec.max(MIN_RATE);
        self.tokens = self.tokens.min(self.capacity);
    }

    /// Whether the bucket is full again at `now` (a new one would be the same).
    fn is_full_at(&self, now: Instant) -> bool {
        let dt = now.duration_since(self.last).as_secs_f64();
        self.tokens + dt * self.per_sec >= self.capacity
    }

    /// Seconds until one token is available (0 if available now).
    fn wait(&self) -> u32 {
        if self.tokens >= 1.0 {
            0
        } else {
            ((1.0 - self.tokens) / self.per_sec).ceil().max(1.0) as u32
        }
    }
}

/// A global bucket, one per chat and one per group (per minute); sizes and rates from
/// [`EmulatorLimits`] (by default ~1 msg/s per chat with bursts of 3, 20 msg/min per group,
/// 30 msg/s overall).
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    limits: EmulatorLimits,
    per_chat: HashMap<i64, Bucket>,
    per_group_minute: HashMap<i64, Bucket>,
    global: Option<Bucket>,
    /// The ceiling of paid broadcasts, instead of `global` for them.
    paid: Option<Bucket>,
    /// 429s answered so far.
    limited: u64,
    /// The number of chat buckets at which the full ones are forgotten next.
    prune_at: usize,
}

/// Chat buckets kept before the first time the full ones are forgotten.
const PRUNE_FROM: usize = 1024;

impl RateLimiter {
    pub fn new(limits: EmulatorLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    pub fn limits(&self) -> EmulatorLimits {
        self.limits
    }

    pub fn limited_count(&self) -> u64 {
        self.limited
    }

    /// Apply new limits to the buckets there are and to those still to come.
    pub fn set_limits(&mut self, limits: EmulatorLimits) {
        let now = Instant::now();
        self.limits = limits;
        if let Some(g) = self.global.as_mut() {
            g.resize(limits.global_burst, limits.global_per_sec, now);
        }
        if let Some(p) = self.paid.as_mut() {
            p.resize(limits.paid_burst, limits.paid_per_sec, now);
        }
        for c in self.per_chat.values_mut() {
            c.resize(limits.chat_burst, limits.chat_per_sec, now);
        }
        for g in self.per_group_minute.values_mut() {
            g.resize(limits.group_burst, limits.group_per_min / 60.0, now);
        }
    }

    /// Take a slot for a message to `chat_id` (a paid broadcast when `paid`), or return
    /// `retry_after` seconds.
    pub fn check(&mut self, chat_id: i64, paid: bool) -> Result<(), u32> {
        self.check_at(chat_id, paid, Instant::now())
    }

    /// [`check`](Self::check) at a given instant (tests hold the clock still).
    fn check_at(&mut self, chat_id: i64, paid: bool, now: Instant) -> Result<(), u32> {
        let l = self.limits;
        // A bucket that is full again is the same as a new one: forget those now and then
        // (amortised: the next time there are twice as many), so that a bot writing to
        // 100,000 chats leaves no bucket per chat behind.
        if self.per_chat.len() > self.prune_at.max(PRUNE_FROM) {
            self.per_chat.retain(|_, b| !b.is_full_at(now));
            self.per_group_minute.retain(|_, b| !b.is_full_at(now));
            self.prune_at = self.per_chat.len() * 2;
        }
        let global = if paid {
            self.paid
                .get_or_insert_with(|| Bucket::new(l.paid_burst, l.paid_per_sec, now))
        } else {
            self.global
                .get_or_insert_with(|| Bucket::new(l.global_burst, l.global_per_sec, now))
        };
        global.refill(now);
        let chat = self
            .per_chat
            .entry(chat_id)
            .or_insert_with(|| Bucket::new(l.chat_burst, l.chat_per_sec, now));
        chat.refill(now);
        let mut wait = global.wait().max(chat.wait());
        if chat_id < 0 {
            let g = self
                .per_group_minute
                .entry(chat_id)
                .or_insert_with(|| Bucket::new(l.group_burst, l.group_per_min / 60.0, now));
            g.refill(now);
            wait = wait.max(g.wait());
        }
        if wait > 0 {
            self.limited += 1;
            return Err(wait);
        }
        let overall = if paid {
            self.paid.as_mut()
        } else {
            self.global.as_mut()
        };
        if let Some(g) = overall {
            g.tokens -= 1.0;
        }
        if let Some(c) = self.per_chat.get_mut(&chat_id) {
            c.tokens -= 1.0;
        }
        if let Some(g) = self.per_group_minute.get_mut(&chat_id) {
            g.tokens -= 1.0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_chat_buckets_are_forgotten_and_limits_still_hold() {
        let mut r = RateLimiter::new(EmulatorLimits {
            chat_per_sec: 1000.0,
            global_per_sec: 1e9,
            global_burst: u32::MAX,
            ..EmulatorLimits::default()
        });
        for chat in 1..=5000 {
            r.check(chat, false).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        for chat in 5001..=10_000 {
            r.check(chat, false).unwrap();
        }
        assert!(
            r.per_chat.len() < 10_000,
            "full buckets were forgotten: {} kept",
            r.per_chat.len()
        );
        // A chat whose bucket is empty is still held to its limit.
        let mut slow = RateLimiter::new(EmulatorLimits::default());
        for _ in 0..3 {
            slow.check(7, false).unwrap();
        }
        for chat in 100..2000 {
            let _ = slow.check(chat, false);
        }
        assert!(slow.check(7, false).is_err());
    }

    #[test]
    fn paid_broadcasts_have_their_own_higher_ceiling() {
        let mut r = RateLimiter::new(EmulatorLimits::default());
        let t = Instant::now();
        // The free 30 a second are spent...
        for chat in 1..=30 {
            r.check_at(chat, false, t).unwrap();
        }
        assert!(r.check_at(31, false, t).is_err());
        // ...paid messages still go, up to a thousand at once, one chat's limit kept...
        for chat in 100..1100 {
            r.check_at(chat, true, t).unwrap();
        }
        assert!(r.check_at(2000, true, t).is_err());
        // (a few milliseconds later the paid bucket has tokens again)
        let later = t + std::time::Duration::from_millis(5);
        assert!(r.check_at(1, true, later).is_ok());
        let mut r = RateLimiter::new(EmulatorLimits::default());
        for _ in 0..3 {
            r.check_at(7, true, t).unwrap();
        }
        assert!(r.check_at(7, true, t).is_err());
        // ...and they leave the free budget to everything else.
        for chat in 1..=30 {
            r.check_at(chat + 10, false, t).unwrap();
        }
    }
}
