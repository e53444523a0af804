//! The ranking score of a candidate volunteer and its parts.
//!
//! Both the index and any reference implementation (the brute-force scan in the tests) call
//! [`score`], so equal inputs give bit-identical scores and therefore identical rankings.

/// Weight of proximity (`1 − distance / radius`).
pub const W_PROXIMITY: f64 = 0.5;
/// Weight of the rating quality (prior-smoothed average, scaled to 0–1).
pub const W_QUALITY: f64 = 0.2;
/// Weight of fairness (time since last service and current load).
pub const W_FAIRNESS: f64 = 0.3;

/// The prior mean rating (on the 1–5 scale) that a volunteer's ratings are shrunk towards.
pub const RATING_PRIOR_MEAN: f64 = 4.0;
/// How many ratings the prior counts as: with few ratings the average stays near the prior.
pub const RATING_PRIOR_WEIGHT: f64 = 5.0;

/// Days after the last service at which a volunteer counts as fully rested.
pub const IDLE_DAYS_FULL: f64 = 30.0;
/// Share of fairness given by idleness; the rest is given by a low current load.
pub const FAIRNESS_IDLE_SHARE: f64 = 0.7;

const DAY_MS: f64 = 86_400_000.0;

/// Why a volunteer ranks where they do: the inputs and the three weighted parts of the score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reason {
    /// Great-circle distance from the point of the query, metres.
    pub distance_m: f64,
    /// Average rating shrunk towards the prior: `(sum + 4.0 × 5) / (count + 5)`.
    pub rating: f64,
    /// Ratings received.
    pub rating_count: u32,
    /// Orders accepted and not yet finished.
    pub load: u32,
    /// Days since the last service (fractional); `None` when never served.
    pub days_since_served: Option<f64>,
    /// `1 − distance / radius`, in 0–1 (1 when the radius is 0).
    pub proximity: f64,
    /// `(rating − 1) / 4`, in 0–1.
    pub quality: f64,
    /// `0.7 × idle + 0.3 / (1 + load)`, idle = `min(days, 30) / 30` (1 when never served).
    pub fairness: f64,
}

/// The prior-smoothed average rating (1–5 scale).
pub fn smoothed_rating(rating_sum: u32, rating_count: u32) -> f64 {
    (f64::from(rating_sum) + RATING_PRIOR_MEAN * RATING_PRIOR_WEIGHT)
        / (f64::from(rating_count) + RATING_PRIOR_WEIGHT)
}

/// Days between `last_served_at` and `now_ms` (0 when the last service lies in the future).
pub fn days_since(last_served_at: Option<i64>, now_ms: i64) -> Option<f64> {
    last_served_at.map(|t| (now_ms.saturating_sub(t).max(0)) as f64 / DAY_MS)
}

/// The quality part, 0–1: the smoothed rating mapped from 1–5. Sums above 5 per rating are
/// clamped.
pub fn quality(rating_sum: u32, rating_count: u32) -> f64 {
    ((smoothed_rating(rating_sum, rating_count) - 1.0) / 4.0).clamp(0.0, 1.0)
}

/// The fairness part, 0–1.
pub fn fairness(days_since_served: Option<f64>, load: u32) -> f64 {
    let idle = match days_since_served {
        None => 1.0,
        Some(d) => d.min(IDLE_DAYS_FULL) / IDLE_DAYS_FULL,
    };
    FAIRNESS_IDLE_SHARE * idle + (1.0 - FAIRNESS_IDLE_SHARE) / (1.0 + f64::from(load))
}

/// The proximity part, 0–1.
pub fn proximity(distance_m: f64, radius_m: f64) -> f64 {
    if radius_m > 0.0 {
        (1.0 - distance_m / radius_m).clamp(0.0, 1.0)
    } else {
        1.0
    }
}

/// Combines the parts: `0.5 × proximity + 0.2 × quality + 0.3 × fairness`, evaluated left to
/// right. Rounding is monotone, so a larger proximity never lowers the result.
pub fn combine(proximity: f64, quality: f64, fairness: f64) -> f64 {
    W_PROXIMITY * proximity + W_QUALITY * quality + W_FAIRNESS * fairness
}

/// The score of one candidate and its reason.
pub fn score(
    distance_m: f64,
    radius_m: f64,
    rating_sum: u32,
    rating_count: u32,
    load: u32,
    last_served_at: Option<i64>,
    now_ms: i64,
) -> (f64, Reason) {
    let days = days_since(last_served_at, now_ms);
    let (p, q, f) = (
        proximity(distance_m, radius_m),
        quality(rating_sum, rating_count),
        fairness(days, load),
    );
    (
        combine(p, q, f),
        Reason {
            distance_m,
            rating: smoothed_rating(rating_sum, rating_count),
            rating_count,
            load,
            days_since_served: days,
            proximity: p,
            quality: q,
            fairness: f,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;
    const DAY: i64 = 86_400_000;

    #[test]
    fn prior_pulls_few_ratings_towards_four() {
        assert_eq!(smoothed_rating(0, 0), 4.0);
        // One 5-star rating: (5 + 20) / 6.
        assert!((smoothed_rating(5, 1) - 25.0 / 6.0).abs() < 1e-12);
        // Many 5-star ratings approach 5.
        assert!(smoothed_rating(5_000, 1_000) > 4.99);
        assert!(smoothed_rating(1_000, 1_000) < 1.02);
        assert_eq!(quality(0, 0), 0.75);
    }

    #[test]
    fn fairness_prefers_the_rested_and_the_free() {
        assert_eq!(fairness(None, 0), 1.0);
        assert!(fairness(Some(40.0), 0) == 1.0);
        assert!(fairness(Some(1.0), 0) < fairness(Some(10.0), 0));
        assert!(fairness(Some(10.0), 2) < fairness(Some(10.0), 1));
        assert_eq!(days_since(Some(NOW - 3 * DAY), NOW), Some(3.0));
        assert_eq!(days_since(Some(NOW + DAY), NOW), Some(0.0));
        assert_eq!(days_since(None, NOW), None);
    }

    #[test]
    fn at_equal_distance_the_one_who_served_longer_ago_wins() {
        let (recent, _) = score(1_000.0, 5_000.0, 0, 0, 0, Some(NOW - DAY), NOW);
        let (earlier, _) = score(1_000.0, 5_000.0, 0, 0, 0, Some(NOW - 20 * DAY), NOW);
        let (never, _) = score(1_000.0, 5_000.0, 0, 0, 0, None, NOW);
        assert!(recent < earlier && earlier < never);
        // Closer wins when everything else is equal.
        let (near, _) = score(100.0, 5_000.0, 0, 0, 0, None, NOW);
        assert!(near > never);
    }

    #[test]
    fn reason_carries_the_parts() {
        let (s, r) = score(2_500.0, 5_000.0, 9, 2, 1, Some(NOW - 15 * DAY), NOW);
        assert_eq!(r.distance_m, 2_500.0);
        assert_eq!(r.proximity, 0.5);
        assert!((r.rating - 29.0 / 7.0).abs() < 1e-12);
        assert_eq!(r.days_since_served, Some(15.0));
        assert!((r.fairness - (0.7 * 0.5 + 0.3 / 2.0)).abs() < 1e-12);
        assert_eq!(s, combine(r.proximity, r.quality, r.fairness));
        assert_eq!(proximity(0.0, 0.0), 1.0);
        assert_eq!(proximity(10.0, 5.0), 0.0);
    }
}
