//! Where a measured stretch's wall time goes. The app marks the stretches of its update cycle
//! that the relay waits on with spans of target [`TARGET`] (see `tollgate::timeline`): a
//! getUpdates poll, a relay gate batch and a copyMessage. `tollgate-bench --phases` installs a
//! [`PhaseLayer`], which keeps each span's lifetime (creation to close, however often it was
//! polled), and reports for each relay scenario how much of its measured rounds had at least
//! one of each kind in flight, and how much had none of them ([`occupancy`]). Several apps may
//! share the process (the bench keeps every scenario's app up between its rounds, idle ones
//! long-polling), so a span may name its app in a `scope` field (`tollgate::timeline::scope_of`,
//! the Bot API's host and port).
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tracing::{Subscriber, span};
use tracing_subscriber::{Layer, layer::Context, registry::LookupSpan};

pub use tollgate::timeline::{COPY, GATE, POLL, TARGET, scope_of};

/// One phase span's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub phase: &'static str,
    pub start: Instant,
    pub end: Instant,
    /// The app the span named (its `scope` field), if it named one.
    pub scope: Option<u64>,
}

/// The closed phase spans so far; clones share them.
#[derive(Debug, Clone, Default)]
pub struct PhaseLog(Arc<Mutex<Vec<Interval>>>);

impl PhaseLog {
    /// A layer that records into this log every span it is shown (filter it to [`TARGET`]).
    pub fn layer(&self) -> PhaseLayer {
        PhaseLayer { log: self.clone() }
    }

    /// The recorded spans that overlap `from..to`, of the app `scope` (or naming none).
    pub fn overlapping(&self, from: Instant, to: Instant, scope: Option<u64>) -> Vec<Interval> {
        self.0
            .lock()
            .expect("phase log lock")
            .iter()
            .filter(|i| i.start < to && i.end > from)
            .filter(|i| i.scope.is_none() || i.scope == scope)
            .copied()
            .collect()
    }

    fn push(&self, interval: Interval) {
        self.0.lock().expect("phase log lock").push(interval);
    }
}

/// Records the lifetime of each span it sees into a [`PhaseLog`].
pub struct PhaseLayer {
    log: PhaseLog,
}

/// When a span was created and the app it named (kept in the span's extensions).
struct Opened(Instant, Option<u64>);

/// Reads the `scope` field.
struct ScopeField(Option<u64>);

impl tracing::field::Visit for ScopeField {
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        if field.name() == "scope" {
            self.0 = Some(value);
        }
    }

    fn record_debug(&mut self, _field: &tracing::field::Field, _value: &dyn std::fmt::Debug) {}
}

impl<S> Layer<S> for PhaseLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let mut scope = ScopeField(None);
        attrs.record(&mut scope);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut()
                .insert(Opened(Instant::now(), scope.0));
        }
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        let end = Instant::now();
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let Some((start, scope)) = span.extensions().get::<Opened>().map(|o| (o.0, o.1)) else {
            return;
        };
        self.log.push(Interval {
            phase: span.metadata().name(),
            start,
            end,
            scope,
        });
    }
}

/// How a stretch of wall time splits: per phase, the time at least one span of it was open;
/// and the time none of the phases asked about was.
#[derive(Debug, Clone, PartialEq)]
pub struct Occupancy {
    pub total: Duration,
    pub by_phase: Vec<(&'static str, Duration)>,
    pub none: Duration,
}

impl Occupancy {
    /// An empty tally of `phases`.
    pub fn new(phases: &[&'static str]) -> Self {
        Self {
            total: Duration::ZERO,
            by_phase: phases.iter().map(|p| (*p, Duration::ZERO)).collect(),
            none: Duration::ZERO,
        }
    }

    /// Adds another stretch's tally of the same phases.
    pub fn add(&mut self, other: &Occupancy) {
        self.total += other.total;
        self.none += other.none;
        for ((_, mine), (_, theirs)) in self.by_phase.iter_mut().zip(&other.by_phase) {
            *mine += *theirs;
        }
    }

    /// `part` as a share of the total (0 when nothing was measured).
    pub fn share(&self, part: Duration) -> f64 {
        if self.total.is_zero() {
            0.0
        } else {
            part.as_secs_f64() / self.total.as_secs_f64()
        }
    }

    /// Adds `span` to each phase with a span open (`open`: how many, per phase), or to none.
    fn count(&mut self, open: &[i32], span: Duration) {
        if span.is_zero() {
            return;
        }
        let mut any = false;
        for ((_, time), &n) in self.by_phase.iter_mut().zip(open) {
            if n > 0 {
                *time += span;
                any = true;
            }
        }
        if !any {
            self.none += span;
        }
    }
}

/// Splits `from..to` by which of `phases` had a span open (spans of other phases are ignored;
/// spans reaching outside the stretch count only inside it).
pub fn occupancy(
    phases: &[&'static str],
    intervals: &[Interval],
    from: Instant,
    to: Instant,
) -> Occupancy {
    let mut tally = Occupancy::new(phases);
    if to <= from {
        return tally;
    }
    tally.total = to - from;
    // (when, phase index, +1 opens / -1 closes), clipped to the stretch.
    let mut edges: Vec<(Instant, usize, i32)> = Vec::with_capacity(intervals.len() * 2);
    for i in intervals {
        let Some(at) = phases.iter().position(|p| *p == i.phase) else {
            continue;
        };
        let (start, end) = (i.start.max(from), i.end.min(to));
        if start < end {
            edges.push((start, at, 1));
            edges.push((end, at, -1));
        }
    }
    // At equal times, closes before opens: back-to-back spans leave no gap and no overlap.
    edges.sort_by_key(|&(when, _, delta)| (when, delta));
    let mut open = vec![0i32; phases.len()];
    let mut now = from;
    for (when, at, delta) in edges {
        tally.count(&open, when - now);
        now = when;
        open[at] += delta;
    }
    tally.count(&open, to - now);
    tally
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::{filter::Targets, layer::SubscriberExt};

    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn at(t0: Instant, phase: &'static str, start: u64, end: u64) -> Interval {
        Interval {
            phase,
            start: t0 + ms(start),
            end: t0 + ms(end),
            scope: None,
        }
    }

    #[test]
    fn overlapping_spans_of_one_phase_count_once_and_gaps_count_as_none() {
        let t0 = Instant::now();
        let spans = [
            at(t0, COPY, 10, 30),
            at(t0, COPY, 20, 40), // overlaps the first: 10..40 in all
            at(t0, GATE, 35, 50), // overlaps the copies by 5
            at(t0, POLL, 60, 70),
            at(t0, "other", 0, 100), // not asked about
        ];
        let o = occupancy(&[POLL, GATE, COPY], &spans, t0, t0 + ms(100));
        assert_eq!(o.total, ms(100));
        assert_eq!(
            o.by_phase,
            vec![(POLL, ms(10)), (GATE, ms(15)), (COPY, ms(30))]
        );
        // None open: 0..10, 50..60, 70..100.
        assert_eq!(o.none, ms(50));
        assert!((o.share(o.none) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn spans_are_clipped_to_the_stretch_and_back_to_back_spans_leave_no_gap() {
        let t0 = Instant::now();
        let spans = [
            at(t0, GATE, 0, 20),   // starts before the stretch (10..)
            at(t0, GATE, 20, 30),  // right after it
            at(t0, POLL, 45, 200), // ends after the stretch (..50)
        ];
        let o = occupancy(&[POLL, GATE], &spans, t0 + ms(10), t0 + ms(50));
        assert_eq!(o.total, ms(40));
        assert_eq!(o.by_phase, vec![(POLL, ms(5)), (GATE, ms(20))]);
        assert_eq!(o.none, ms(15));
    }

    #[test]
    fn tallies_add_up_and_an_empty_stretch_is_all_zero() {
        let t0 = Instant::now();
        let empty = occupancy(&[POLL], &[at(t0, POLL, 0, 5)], t0 + ms(5), t0 + ms(5));
        assert_eq!(empty, Occupancy::new(&[POLL]));
        assert_eq!(empty.share(empty.none), 0.0);

        let mut sum = occupancy(&[POLL], &[at(t0, POLL, 0, 5)], t0, t0 + ms(10));
        sum.add(&occupancy(&[POLL], &[], t0, t0 + ms(10)));
        assert_eq!(sum.total, ms(20));
        assert_eq!(sum.by_phase, vec![(POLL, ms(5))]);
        assert_eq!(sum.none, ms(15));
    }

    #[test]
    fn the_layer_keeps_phase_spans_from_creation_to_close_and_nothing_else() {
        let log = PhaseLog::default();
        let subscriber = tracing_subscriber::registry().with(
            log.layer()
                .with_filter(Targets::new().with_target(TARGET, tracing::Level::DEBUG)),
        );
        let before = Instant::now();
        tracing::subscriber::with_default(subscriber, || {
            let poll = tracing::debug_span!(target: TARGET, "poll", scope = 8081u64);
            // Another app's poll.
            drop(tracing::debug_span!(target: TARGET, "poll", scope = 9090u64));
            let copy = tracing::debug_span!(target: TARGET, "copy");
            // Other targets and finer levels are not phases.
            let _elsewhere = tracing::debug_span!("poll");
            let _finer = tracing::trace_span!(target: TARGET, "gate");
            drop(poll);
            // A span lives until its last handle is gone, entered or not.
            let handle = copy.clone();
            drop(copy);
            assert_eq!(log.overlapping(before, Instant::now(), Some(8081)).len(), 1);
            drop(handle);
        });
        let after = Instant::now();
        let spans = log.overlapping(before, after, Some(8081));
        let named: Vec<_> = spans.iter().map(|i| (i.phase, i.scope)).collect();
        // The other app's poll is left out; a span naming no app counts for any.
        assert_eq!(named, [(POLL, Some(8081)), (COPY, None)]);
        assert!(
            spans
                .iter()
                .all(|i| before <= i.start && i.start <= i.end && i.end <= after)
        );
        assert_eq!(log.overlapping(before, after, Some(9090)).len(), 2);
        assert!(log.overlapping(after, after + ms(1), Some(8081)).is_empty());
    }
}
