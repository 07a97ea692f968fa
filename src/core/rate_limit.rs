//! Fixed-window failure counters (deviation 6). D1 stores the window start and the count; this
//! decides what they mean.

/// A counter as stored: when its window began and how many events it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub window_start: i64,
    pub count: i64,
}

/// The counter is updated *before* the attempt is judged (so concurrent attempts cannot slip
/// past the limit together); `counter` therefore includes the current attempt. Returns
/// `Some(retry_after_secs)` when it is over `limit` within its window.
pub fn exceeded(counter: Counter, limit: u32, window_secs: u32, now_secs: i64) -> Option<i64> {
    let window_end = counter.window_start.saturating_add(i64::from(window_secs));
    (counter.count > i64::from(limit) && now_secs < window_end).then(|| window_end.saturating_sub(now_secs).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_only_at_the_limit_within_the_window() {
        let c = |count| Counter { window_start: 1000, count };
        assert_eq!(exceeded(c(1), 5, 60, 1000), None);
        assert_eq!(exceeded(c(5), 5, 60, 1010), None);
        assert_eq!(exceeded(c(6), 5, 60, 1010), Some(50));
        assert_eq!(exceeded(c(9), 5, 60, 1059), Some(1));
        assert_eq!(exceeded(c(9), 5, 60, 1060), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics_and_waits_at_most_the_window(start in any::<i64>(), count in any::<i64>(), limit in any::<u32>(), window in any::<u32>(), now in any::<i64>()) {
                if let Some(wait) = exceeded(Counter { window_start: start, count }, limit, window, now) {
                    prop_assert!(wait >= 1 && wait <= i64::from(window).max(1) || now < start);
                }
            }
        }
    }
}
