//! Telegram-like flood limits (token buckets).

use std::collections::HashMap;
use std::time::Instant;

#[derive(Clone, Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    capacity: f64,
    per_sec: f64,
}

impl Bucket {
    fn new(capacity: f64, per_sec: f64, now: Instant) -> Self {
        Self {
            tokens: capacity,
            last: now,
            capacity,
            per_sec,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.per_sec).min(self.capacity);
        self.last = now;
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

/// Per chat ~1 msg/s (burst 3), per group 20 msg/min, overall 30 msg/s.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    per_chat: HashMap<i64, Bucket>,
    per_group_minute: HashMap<i64, Bucket>,
    global: Option<Bucket>,
}

impl RateLimiter {
    /// Take a slot for a message to `chat_id`, or return `retry_after` seconds.
    pub fn check(&mut self, chat_id: i64) -> Result<(), u32> {
        let now = Instant::now();
        let global = self
            .global
            .get_or_insert_with(|| Bucket::new(30.0, 30.0, now));
        global.refill(now);
        let chat = self
            .per_chat
            .entry(chat_id)
            .or_insert_with(|| Bucket::new(3.0, 1.0, now));
        chat.refill(now);
        let mut wait = global.wait().max(chat.wait());
        if chat_id < 0 {
            let g = self
                .per_group_minute
                .entry(chat_id)
                .or_insert_with(|| Bucket::new(20.0, 20.0 / 60.0, now));
            g.refill(now);
            wait = wait.max(g.wait());
        }
        if wait > 0 {
            return Err(wait);
        }
        if let Some(g) = self.global.as_mut() {
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
