//! How Meta's statuses move a message part's state: the rule the store
//! applies when statuses join a part's history.
//!
//! Meta's statuses arrive out of order (`read` before `sent`) and carry
//! whole-second timestamps, so several often share one. Statuses join the
//! history in Meta's time order, ties in the order of progress. A part's
//! state only moves forward ([`MessageState::progress`]); a status that
//! would not move it (a step back, or the state it is already in) still
//! joins the history, but silently: no event, so no callback.

use std::collections::HashMap;
use std::hash::Hash;

use crate::MessageState;

/// A status about to join the history of the part `part`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivingStatus<P> {
    /// Which part (any key the caller uses for one).
    pub part: P,
    /// Meta's time of the status.
    pub at: i64,
    /// The state the status stands for.
    pub state: MessageState,
    /// The part's state before any of these statuses.
    pub part_state: MessageState,
}

/// One status's place in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Its index among the arriving statuses.
    pub status: usize,
    /// Whether it is kept without an event (it does not move the state).
    pub silent: bool,
}

/// Where a group of arriving statuses goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progression<P> {
    /// Every status, in the order it joins the history.
    pub entries: Vec<HistoryEntry>,
    /// For each part whose state moves (in the order the parts first
    /// appear): the index of the status whose state it ends in.
    pub moved: Vec<(P, usize)>,
}

/// Orders `statuses` into their parts' histories and says which move their
/// part's state, and where each part's state ends.
pub fn progress<P: Eq + Hash + Clone>(statuses: &[ArrivingStatus<P>]) -> Progression<P> {
    let mut order: Vec<usize> = (0..statuses.len()).collect();
    // Stable: equal (time, progress) keep their arrival order.
    order.sort_by_key(|&index| (statuses[index].at, statuses[index].state.progress()));
    let mut current: HashMap<&P, MessageState> = HashMap::new();
    let mut last_move: HashMap<&P, usize> = HashMap::new();
    let entries = order
        .into_iter()
        .map(|index| {
            let status = &statuses[index];
            let state = current.entry(&status.part).or_insert(status.part_state);
            let forward = status.state.progress() > state.progress();
            if forward {
                *state = status.state;
                last_move.insert(&status.part, index);
            }
            HistoryEntry {
                status: index,
                silent: !forward,
            }
        })
        .collect();
    let mut moved = Vec::with_capacity(last_move.len());
    for status in statuses {
        if let Some(index) = last_move.remove(&status.part) {
            moved.push((status.part.clone(), index));
        }
    }
    Progression { entries, moved }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageState::*;

    fn arriving(part: &'static str, at: i64, state: MessageState) -> ArrivingStatus<&'static str> {
        ArrivingStatus {
            part,
            at,
            state,
            part_state: Submitted,
        }
    }

    fn silent_flags(progression: &Progression<&str>) -> Vec<(usize, bool)> {
        progression
            .entries
            .iter()
            .map(|entry| (entry.status, entry.silent))
            .collect()
    }

    #[test]
    fn statuses_join_in_metas_time_order_and_move_the_state_forward() {
        let statuses = [arriving("p", 4, Read), arriving("p", 3, Sent)];
        let progression = progress(&statuses);
        assert_eq!(silent_flags(&progression), [(1, false), (0, false)]);
        assert_eq!(progression.moved, [("p", 0)], "the part ends READ");
    }

    #[test]
    fn ties_in_time_go_in_the_order_of_progress() {
        let statuses = [
            arriving("p", 3, Read),
            arriving("p", 3, Delivered),
            arriving("p", 3, Sent),
        ];
        let progression = progress(&statuses);
        assert_eq!(
            silent_flags(&progression),
            [(2, false), (1, false), (0, false)]
        );
        assert_eq!(progression.moved, [("p", 0)]);
    }

    #[test]
    fn a_status_that_would_move_the_state_back_is_silent() {
        let statuses = [arriving("p", 4, Read), arriving("p", 5, Delivered)];
        let progression = progress(&statuses);
        assert_eq!(silent_flags(&progression), [(0, false), (1, true)]);
        assert_eq!(progression.moved, [("p", 0)]);
    }

    #[test]
    fn the_parts_own_state_counts_and_a_repeat_of_it_is_silent() {
        let mut read_already = arriving("p", 5, Delivered);
        read_already.part_state = Read;
        let mut sent_again = arriving("q", 5, Sent);
        sent_again.part_state = Sent;
        let progression = progress(&[read_already, sent_again]);
        assert_eq!(
            silent_flags(&progression),
            [(1, true), (0, true)],
            "SENT ranks first"
        );
        assert!(progression.moved.is_empty(), "nothing moves");
    }

    #[test]
    fn each_part_moves_on_its_own() {
        let statuses = [
            arriving("p", 3, Sent),
            arriving("q", 1, Failed),
            arriving("p", 4, Delivered),
            arriving("q", 2, Sent),
        ];
        let progression = progress(&statuses);
        assert_eq!(progression.moved, [("p", 2), ("q", 1)]);
        assert_eq!(
            silent_flags(&progression),
            [(1, false), (3, true), (0, false), (2, false)],
            "a failure ranks above everything"
        );
    }
}
