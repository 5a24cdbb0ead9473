/// A ten-segment bar of `balance` against `scale` (full when the balance reaches the scale).
pub fn progress_bar(balance: i64, scale: i64) -> String {
    const WIDTH: i64 = 10;
    let scale = scale.max(1);
    let filled = if balance <= 0 {
        0
    } else {
        // Round up so that any credit shows at least one segment.
        ((balance.min(scale) * WIDTH + scale - 1) / scale).clamp(1, WIDTH)
    };
    let mut bar = "▰".repeat(filled as usize);
    bar.push_str(&"▱".repeat((WIDTH - filled) as usize));
    bar
}

/// Whether a debit from `before` to `after` crossed the low-credit threshold downward.
pub fn crossed_low_threshold(before: i64, after: i64, threshold: i64) -> bool {
    before > threshold && after <= threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_is_empty_full_and_proportional_in_between() {
        assert_eq!(progress_bar(0, 10), "▱▱▱▱▱▱▱▱▱▱");
        assert_eq!(progress_bar(10, 10), "▰▰▰▰▰▰▰▰▰▰");
        assert_eq!(progress_bar(25, 10), "▰▰▰▰▰▰▰▰▰▰");
        assert_eq!(progress_bar(5, 10), "▰▰▰▰▰▱▱▱▱▱");
        assert_eq!(progress_bar(1, 100), "▰▱▱▱▱▱▱▱▱▱");
        assert_eq!(progress_bar(-3, 10), "▱▱▱▱▱▱▱▱▱▱");
        assert_eq!(progress_bar(3, 0), "▰▰▰▰▰▰▰▰▰▰");
    }

    #[test]
    fn the_low_credit_warning_fires_once_per_downward_crossing() {
        assert!(crossed_low_threshold(3, 2, 2));
        assert!(crossed_low_threshold(5, 0, 2));
        assert!(!crossed_low_threshold(2, 1, 2));
        assert!(!crossed_low_threshold(10, 9, 2));
    }
}
