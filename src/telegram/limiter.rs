//! Pacing of outgoing messages within Telegram's limits: about 30 messages a second overall,
//! about one a second per chat (short bursts pass) and 20 a minute per group.
//!
//! This replaces teloxide's `Throttle`, whose worker wakes on a fixed 250 ms tick: every reply
//! waited up to a quarter of a second and throughput was bounded by ticks
//! (docs/decisions/0004-own-token-buckets.md).
//! Here a request waits only as long as a bucket says, and not at all when there is room.
use std::{collections::HashMap, sync::Mutex, time::Duration};

use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    pub overall_per_sec: f64,
    pub overall_burst: f64,
    pub chat_per_sec: f64,
    pub chat_burst: f64,
    pub group_per_min: f64,
    pub group_burst: f64,
}

impl Default for RateLimits {
    /// Telegram's published limits.
    fn default() -> Self {
        Self {
            overall_per_sec: 30.0,
            overall_burst: 30.0,
            chat_per_sec: 1.0,
            chat_burst: 3.0,
            group_per_min: 20.0,
            group_burst: 5.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    per_sec: f64,
    at: Instant,
}

impl Bucket {
    fn new(capacity: f64, per_sec: f64, now: Instant) -> Self {
        Self {
            tokens: capacity,
            capacity,
            per_sec,
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        self.at = now;
    }

    /// Whether the bucket holds its whole burst again at `now`.
    fn is_full_at(&self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens + elapsed * self.per_sec >= self.capacity
    }

    /// How long until one token is there (zero: now).
    fn wait(&self) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec)
        }
    }
}

#[derive(Debug)]
struct Chat {
    per_sec: Bucket,
    per_min: Option<Bucket>,
}

impl Chat {
    /// Whether every bucket of the chat is full again at `now`.
    fn is_full_at(&self, now: Instant) -> bool {
        self.per_sec.is_full_at(now) && self.per_min.is_none_or(|b| b.is_full_at(now))
    }
}

pub struct RateLimiter {
    limits: RateLimits,
    /// The overall bucket, the chats' buckets, and how many chats there may be before those
    /// whose buckets are full again are forgotten.
    state: Mutex<(Bucket, HashMap<i64, Chat>, usize)>,
}

/// Chats kept before the first sweep.
const SWEEP_FROM: usize = 10_000;

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        let now = Instant::now();
        Self {
            limits,
            state: Mutex::new((
                Bucket::new(limits.overall_burst, limits.overall_per_sec, now),
                HashMap::new(),
                SWEEP_FROM,
            )),
        }
    }

    /// Takes a slot for a message to `chat` now, or says how long to wait for one. `overall`:
    /// whether the message counts against the overall budget (a paid broadcast does not: it
    /// has a budget of its own, paced by its sender).
    fn try_take(&self, chat: i64, now: Instant, overall_too: bool) -> Duration {
        let l = self.limits;
        let mut guard = self.state.lock().expect("limiter lock");
        let (overall, chats, sweep_at) = &mut *guard;
        // Forget chats whose buckets are full again (a new entry would be the same), now and
        // then: when there are twice as many as after the last sweep. Sweeping on every call
        // once 10,000 chats were recent made a broadcast's sends quadratic.
        if chats.len() > (*sweep_at).max(SWEEP_FROM) {
            chats.retain(|_, c| !c.is_full_at(now));
            *sweep_at = chats.len() * 2;
        }
        let entry = chats.entry(chat).or_insert_with(|| Chat {
            per_sec: Bucket::new(l.chat_burst, l.chat_per_sec, now),
            // Group and channel ids are negative.
            per_min: (chat < 0).then(|| Bucket::new(l.group_burst, l.group_per_min / 60.0, now)),
        });
        overall.refill(now);
        entry.per_sec.refill(now);
        if let Some(b) = entry.per_min.as_mut() {
            b.refill(now);
        }
        let wait = (if overall_too {
            overall.wait()
        } else {
            Duration::ZERO
        })
        .max(entry.per_sec.wait())
        .max(entry.per_min.map_or(Duration::ZERO, |b| b.wait()));
        if wait.is_zero() {
            if overall_too {
                overall.tokens -= 1.0;
            }
            entry.per_sec.tokens -= 1.0;
            if let Some(b) = entry.per_min.as_mut() {
                b.tokens -= 1.0;
            }
        }
        wait
    }

    /// Whether a message to `chat` could go right now (nothing is taken).
    pub fn has_room(&self, chat: i64) -> bool {
        let now = Instant::now();
        let l = self.limits;
        let mut guard = self.state.lock().expect("limiter lock");
        let (overall, chats, _) = &mut *guard;
        overall.refill(now);
        if !overall.wait().is_zero() {
            return false;
        }
        match chats.get_mut(&chat) {
            None => l.chat_burst >= 1.0 && (chat >= 0 || l.group_burst >= 1.0),
            Some(c) => {
                c.per_sec.refill(now);
                if let Some(b) = c.per_min.as_mut() {
                    b.refill(now);
                }
                c.per_sec.wait().is_zero() && c.per_min.is_none_or(|b| b.wait().is_zero())
            }
        }
    }

    /// Whether the overall bucket holds more than `reserve` messages beyond the next one
    /// (nothing is taken): bulk sends go only then, so that `reserve` stays free for replies.
    pub fn has_spare(&self, reserve: f64) -> bool {
        let mut guard = self.state.lock().expect("limiter lock");
        let (overall, _, _) = &mut *guard;
        overall.refill(Instant::now());
        overall.tokens >= 1.0 + reserve
    }

    /// The overall burst (how many messages may go at once).
    pub fn overall_burst(&self) -> f64 {
        self.limits.overall_burst
    }

    /// Waits until a message to `chat` may go.
    pub async fn acquire(&self, chat: i64) {
        self.acquire_within(chat, true).await
    }

    /// Waits until a paid broadcast message to `chat` may go: only the chat's own limits
    /// apply, the overall budget stays with everything else.
    pub async fn acquire_paid(&self, chat: i64) {
        self.acquire_within(chat, false).await
    }

    async fn acquire_within(&self, chat: i64, overall_too: bool) {
        loop {
            let wait = self.try_take(chat, Instant::now(), overall_too);
            if wait.is_zero() {
                return;
            }
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_passes_then_one_message_a_second_per_chat() {
        let limiter = RateLimiter::new(RateLimits::default());
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire(7).await;
        }
        assert_eq!(
            Instant::now() - start,
            Duration::ZERO,
            "the burst goes at once"
        );
        limiter.acquire(7).await;
        assert_eq!((Instant::now() - start).as_secs(), 1);
        // Another chat is not held up by the first.
        let before = Instant::now();
        limiter.acquire(8).await;
        assert_eq!(Instant::now(), before);
    }

    #[tokio::test(start_paused = true)]
    async fn groups_get_twenty_a_minute() {
        let limiter = RateLimiter::new(RateLimits {
            chat_per_sec: 100.0,
            chat_burst: 100.0,
            ..RateLimits::default()
        });
        let start = Instant::now();
        for _ in 0..25 {
            limiter.acquire(-100).await;
        }
        // 5 at once, then one every 3 s: the 25th after 60 s.
        assert_eq!((Instant::now() - start).as_secs(), 60);
    }

    #[tokio::test(start_paused = true)]
    async fn room_is_seen_without_taking_it() {
        let limiter = RateLimiter::new(RateLimits {
            chat_per_sec: 100.0,
            chat_burst: 100.0,
            ..RateLimits::default()
        });
        for _ in 0..5 {
            assert!(limiter.has_room(-100));
            assert!(limiter.has_room(-100), "looking takes nothing");
            limiter.acquire(-100).await;
        }
        assert!(!limiter.has_room(-100), "the group's burst of 5 is used up");
        assert!(limiter.has_room(-200), "another group has room");
        tokio::time::advance(Duration::from_secs(3)).await;
        assert!(limiter.has_room(-100));
    }

    #[tokio::test(start_paused = true)]
    async fn spare_room_leaves_the_reserve_untouched_and_takes_nothing() {
        let limiter = RateLimiter::new(RateLimits::default());
        // 30 in the bucket: bulk may go while more than 1 + 7.5 are left.
        for chat in 0..22 {
            assert!(limiter.has_spare(7.5));
            limiter.acquire(chat).await;
        }
        assert!(!limiter.has_spare(7.5), "the reserve is kept");
        assert!(limiter.has_room(99), "a reply still goes at once");
        limiter.acquire(99).await;
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(limiter.has_spare(7.5));
    }

    #[tokio::test(start_paused = true)]
    async fn thirty_a_second_overall() {
        let limiter = RateLimiter::new(RateLimits::default());
        let start = Instant::now();
        for chat in 0..60 {
            limiter.acquire(chat).await;
        }
        assert_eq!((Instant::now() - start).as_secs(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn paid_broadcasts_keep_chat_limits_and_leave_the_overall_budget_alone() {
        let limiter = RateLimiter::new(RateLimits::default());
        let start = Instant::now();
        for chat in 0..300 {
            limiter.acquire_paid(chat).await;
        }
        assert_eq!(Instant::now(), start, "no overall wait for paid sends");
        assert!(
            limiter.has_spare(29.0 - 1e-9),
            "the overall budget is untouched"
        );
        for _ in 0..3 {
            limiter.acquire_paid(7).await;
        }
        assert!(!limiter.has_room(7), "one chat is still paced");
    }

    #[tokio::test(start_paused = true)]
    async fn chats_whose_buckets_are_full_again_are_forgotten() {
        let limiter = RateLimiter::new(RateLimits {
            overall_per_sec: 1e9,
            overall_burst: 1e9,
            ..RateLimits::default()
        });
        for chat in 1..=15_000 {
            limiter.acquire(chat).await;
        }
        // Each private chat's bucket (3, one a second) is full again after 3 s.
        tokio::time::advance(Duration::from_secs(4)).await;
        for chat in 15_001..=40_000 {
            limiter.acquire(chat).await;
        }
        let kept = limiter.state.lock().unwrap().1.len();
        assert!(kept < 30_000, "{kept} chats kept");
        // A chat that used its burst is still held to its limit meanwhile.
        for _ in 0..3 {
            limiter.acquire(7).await;
        }
        for chat in 50_000..80_000 {
            limiter.acquire(chat).await;
        }
        assert!(!limiter.has_room(7));
    }
}
