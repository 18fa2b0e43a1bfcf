//! The one clock every action and periodic job reads, kept in `AppState`.
//!
//! In production it is the system's UTC time. Tests hold a clone of the same `Clock` and
//! move it forward (`advance`) to reach a deadline (a round's closing time, the end of a
//! login lock-out) instead of sleeping, so no test waits on real time and none is timed.
//!
//! Anonymity (G4, G13): the clock is only a source of "now". What an anonymous path stores is
//! still the day at most (`today`), never a precise time; moving the clock changes no rule.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime};

/// System time plus an offset that only tests move. Clones share the offset, so the handle a
/// test keeps moves the clock the running app reads.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock, not moved.
    pub fn system() -> Self {
        Self::default()
    }

    /// The current time in UTC, as the database stores it.
    pub fn now(&self) -> PrimitiveDateTime {
        let t = OffsetDateTime::now_utc()
            + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed));
        PrimitiveDateTime::new(t.date(), t.time())
    }

    /// Today's date in UTC: the finest time an anonymous record may carry.
    pub fn today(&self) -> Date {
        self.now().date()
    }

    /// Moves the clock forward (tests), for every clone of this clock at once.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.whole_milliseconds()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// When a staff record was written (`created_at`, an audit entry's time): a record of the
/// real moment, never compared with a deadline, so it reads the system clock and needs no
/// handle. Never used for anything an anonymous path stores (those carry the day at most).
pub fn recorded_at() -> PrimitiveDateTime {
    let t = OffsetDateTime::now_utc();
    PrimitiveDateTime::new(t.date(), t.time())
}

/// Lets something happen at most once per second of the app's clock: member pages look for
/// due rounds through one (`schedule::catch_up_rounds`). It keeps the time of the last look in
/// memory only, never stored or logged, overwritten at most once a second: it says no more
/// than "a member page was served in this second", which the process's own sockets hold as
/// long.
#[derive(Default)]
pub struct Throttle {
    last: std::sync::Mutex<Option<PrimitiveDateTime>>,
}

impl Throttle {
    /// How long a look is good for.
    const FRESH: Duration = Duration::seconds(1);

    /// Whether to look now, and if so, notes that it did. A clock moved back (tests move it)
    /// counts as due.
    pub fn is_due(&self, now: PrimitiveDateTime) -> bool {
        let mut last = match self.last.lock() {
            Ok(l) => l,
            // A panic elsewhere while holding this lock left only a time behind: still usable.
            Err(poisoned) => poisoned.into_inner(),
        };
        let due = last.is_none_or(|t| now < t || now - t >= Self::FRESH);
        if due {
            *last = Some(now);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_one_clone_moves_every_clone() {
        let clock = Clock::system();
        let held = clock.clone();
        let before = clock.now();
        held.advance(Duration::hours(2));
        assert!(clock.now() - before >= Duration::hours(2));
    }

    #[test]
    fn member_pages_look_for_due_rounds_at_most_once_a_second_and_again_when_the_clock_moves_back()
    {
        let c = Throttle::default();
        let t = time::macros::datetime!(2026-12-06 12:00:00);
        assert!(c.is_due(t), "the first visit looks");
        assert!(!c.is_due(t + Duration::milliseconds(999)));
        assert!(c.is_due(t + Duration::seconds(1)));
        assert!(!c.is_due(t + Duration::milliseconds(1500)));
        assert!(c.is_due(t + Duration::hours(3)), "a clock moved on looks");
        assert!(c.is_due(t), "a clock moved back looks");
    }
}
