//! Reading the simulator's recorded arrival times (Unix milliseconds) as a
//! pace: the most sends within any one second.

/// The most of `times` that fall within one second starting at any of them.
pub fn busiest_second(times: &[i64]) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    (0..sorted.len())
        .map(|start| {
            sorted[start..]
                .iter()
                .take_while(|later| **later < sorted[start] + 1000)
                .count()
        })
        .max()
        .unwrap_or(0)
}
