//! What the simulator keeps about business numbers beyond sending: each
//! number's business profile (only registered numbers have one, so at most
//! one per entry of the number table) and its delivery analytics: messages
//! delivered per number, UTC day and pricing category, for the last
//! [`KEPT_DAYS`] days (older days are dropped as days pass) and at most
//! [`MAX_COUNTERS`] number-days.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::payload::Category;
use crate::store::Millis;

/// Days of analytics kept (Meta answers for the last 90 days), today included.
pub const KEPT_DAYS: i64 = 91;
/// Number-days counted at most; past that new ones go uncounted.
pub const MAX_COUNTERS: usize = 200_000;

const DAY_MS: Millis = 24 * 60 * 60 * 1000;

/// The `(pricing_category, pricing_type)` each [`Category`] is counted
/// under, in counter order.
pub const PRICING: [(&str, &str); 4] = [
    ("MARKETING", "REGULAR"),
    ("UTILITY", "REGULAR"),
    ("AUTHENTICATION", "REGULAR"),
    ("SERVICE", "FREE_CUSTOMER_SERVICE"),
];

fn pricing_index(category: Category) -> usize {
    match category {
        Category::Marketing => 0,
        Category::Utility => 1,
        Category::Authentication => 2,
        Category::Service => 3,
    }
}

/// Delivered messages of one number on one UTC day, per [`PRICING`] entry.
pub type DayCounts = [u64; PRICING.len()];

#[derive(Debug, Default)]
pub struct BusinessState {
    /// phone_number_id → its profile fields.
    profiles: HashMap<String, Map<String, Value>>,
    /// (phone_number_id, UTC day number since the epoch) → delivered.
    delivered: HashMap<(String, i64), DayCounts>,
    /// The last day old counters were dropped on.
    swept_day: i64,
}

/// The UTC day of a Unix-milliseconds instant.
pub fn day_of(at: Millis) -> i64 {
    at.div_euclid(DAY_MS)
}

impl BusinessState {
    /// The number's profile fields (empty until set).
    pub fn profile(&self, phone_number_id: &str) -> Map<String, Value> {
        self.profiles
            .get(phone_number_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Sets the given fields of the number's profile (the number is a
    /// registered one: the caller checked).
    pub fn update_profile(&mut self, phone_number_id: &str, fields: Map<String, Value>) {
        self.profiles
            .entry(phone_number_id.to_owned())
            .or_default()
            .extend(fields);
    }

    /// Counts a message of `category` delivered by the number at `at`.
    pub fn count_delivered(&mut self, phone_number_id: &str, category: Category, at: Millis) {
        let day = day_of(at);
        if day != self.swept_day {
            self.delivered
                .retain(|(_, counted), _| *counted > day - KEPT_DAYS);
            self.swept_day = day;
        }
        let key = (phone_number_id.to_owned(), day);
        if !self.delivered.contains_key(&key) && self.delivered.len() >= MAX_COUNTERS {
            tracing::warn!(phone_number_id, "the sandbox's analytics table is full");
            return;
        }
        let counts = self.delivered.entry(key).or_default();
        let counter = &mut counts[pricing_index(category)];
        *counter = counter.saturating_add(1);
    }

    /// The number's counts of the UTC days starting in `start..end`
    /// (Unix seconds), by day.
    pub fn delivered_between(
        &self,
        phone_number_id: &str,
        start: i64,
        end: i64,
    ) -> Vec<(i64, DayCounts)> {
        let day_s = DAY_MS / 1000;
        let first = start.div_euclid(day_s) + i64::from(start.rem_euclid(day_s) != 0);
        let mut days: Vec<(i64, DayCounts)> = self
            .delivered
            .iter()
            .filter(|((number, day), _)| {
                number == phone_number_id && *day >= first && day * day_s < end
            })
            .map(|((_, day), counts)| (*day, *counts))
            .collect();
        days.sort_unstable_by_key(|(day, _)| *day);
        days
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_S: i64 = DAY_MS / 1000;

    #[test]
    fn counts_per_utc_day_and_category_and_drops_old_days() {
        let mut state = BusinessState::default();
        let day = 20_000;
        let at = |day: i64, hour: i64| (day * DAY_S + hour * 3600) * 1000;
        state.count_delivered("p", Category::Marketing, at(day, 1));
        state.count_delivered("p", Category::Marketing, at(day, 23));
        state.count_delivered("p", Category::Service, at(day, 2));
        state.count_delivered("q", Category::Utility, at(day, 2));
        state.count_delivered("p", Category::Utility, at(day + 1, 0));
        assert_eq!(
            state.delivered_between("p", day * DAY_S, (day + 2) * DAY_S),
            [(day, [2, 0, 0, 1]), (day + 1, [0, 1, 0, 0])]
        );
        // Start inclusive, a second late skips the day; end exclusive, a
        // second late takes the next day in.
        assert_eq!(
            state.delivered_between("p", day * DAY_S + 1, (day + 1) * DAY_S + 1),
            [(day + 1, [0, 1, 0, 0])]
        );
        assert_eq!(
            state
                .delivered_between("p", day * DAY_S, (day + 1) * DAY_S)
                .len(),
            1
        );
        // 91 days on, the first day is dropped, the second kept.
        state.count_delivered("p", Category::Utility, at(day + KEPT_DAYS, 0));
        assert_eq!(
            state.delivered_between("p", day * DAY_S, (day + 2) * DAY_S),
            [(day + 1, [0, 1, 0, 0])]
        );
    }

    #[test]
    fn profiles_keep_fields_not_updated() {
        let mut state = BusinessState::default();
        let fields = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(key, value)| ((*key).to_owned(), Value::from(*value)))
                .collect::<Map<String, Value>>()
        };
        state.update_profile("p", fields(&[("about", "a"), ("email", "e@x.example")]));
        state.update_profile("p", fields(&[("about", "b")]));
        assert_eq!(
            state.profile("p"),
            fields(&[("about", "b"), ("email", "e@x.example")])
        );
        assert!(state.profile("q").is_empty());
    }
}
