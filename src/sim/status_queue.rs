//! Statuses posted together, as Meta does when they come at once: a status
//! waits in a queue until one of at most [`POSTERS`] posting tasks takes it,
//! with whatever else queued meanwhile (up to
//! [`SimConfig::statuses_per_webhook`](super::SimConfig)), into one webhook
//! with one `changes` item per business number. Under light load each
//! status goes alone, at once; under heavy load a webhook carries what
//! queued while the others were out. A message's next status is made only
//! after its previous one was posted, so each message's statuses still
//! arrive in order. The queue holds at most one status per message whose
//! statuses are in progress, and no poster outlives an empty queue (one
//! that panics is counted off, so others still start).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

use super::Sim;
use super::payload::{self, Business, StatusItem};

/// Most webhooks of statuses in flight at once.
pub const POSTERS: usize = 4;

/// A status waiting to be posted.
pub(super) struct Queued {
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub item: StatusItem,
    /// Told once the webhook carrying it was posted (or gave up).
    pub posted: oneshot::Sender<()>,
}

/// The statuses waiting and how many posters are out.
#[derive(Default)]
pub(super) struct StatusQueue {
    inner: Mutex<Waiting>,
}

#[derive(Default)]
struct Waiting {
    statuses: VecDeque<Queued>,
    posters: usize,
}

impl StatusQueue {
    fn lock(&self) -> MutexGuard<'_, Waiting> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Statuses waiting for a poster to take them.
    pub fn waiting(&self) -> usize {
        self.lock().statuses.len()
    }

    /// Queues a status; true when a new poster should start (fewer than
    /// [`POSTERS`] are out), counted as out already.
    fn push(&self, status: Queued) -> bool {
        let mut waiting = self.lock();
        waiting.statuses.push_back(status);
        let start = waiting.posters < POSTERS;
        if start {
            waiting.posters += 1;
        }
        start
    }

    /// The next statuses to post, at most `most`; empty (and the poster
    /// counted off) when none wait.
    fn take(&self, most: usize) -> Vec<Queued> {
        let mut waiting = self.lock();
        let count = waiting.statuses.len().min(most.max(1));
        if count == 0 {
            waiting.posters -= 1;
        }
        waiting.statuses.drain(..count).collect()
    }
}

impl Sim {
    /// Posts `item`, a status of `business`'s number, in a webhook with
    /// whatever other statuses are waiting; returns once it was posted.
    pub(super) async fn post_status(&self, business: &Business<'_>, item: StatusItem) {
        let (posted, was_posted) = oneshot::channel();
        let queued = Queued {
            phone_number_id: business.phone_number_id.to_owned(),
            display_phone_number: business.display_phone_number.to_owned(),
            item,
            posted,
        };
        if self.inner.statuses.push(queued) {
            let sim = self.clone();
            tokio::spawn(async move { sim.post_statuses().await });
        }
        // A poster that panicked dropped the sender: nothing to wait for.
        let _ = was_posted.await;
    }

    /// One poster: takes what waits, posts it as one webhook, until
    /// nothing waits.
    async fn post_statuses(self) {
        let mut out = PosterOut {
            queue: &self.inner.statuses,
            counted: true,
        };
        loop {
            let taken = self.inner.statuses.take(self.config().statuses_per_webhook);
            if taken.is_empty() {
                // `take` counted this poster off.
                out.counted = false;
                return;
            }
            let mut told = Vec::with_capacity(taken.len());
            let body = webhook_of(taken, &mut told);
            self.deliver(body).await;
            for posted in told {
                let _ = posted.send(());
            }
        }
    }
}

/// Counts a poster off should it end without `take` having done so (a
/// panic while posting), so that new posters can still start.
struct PosterOut<'a> {
    queue: &'a StatusQueue,
    counted: bool,
}

impl Drop for PosterOut<'_> {
    fn drop(&mut self) {
        if self.counted {
            let mut waiting = self.queue.lock();
            waiting.posters = waiting.posters.saturating_sub(1);
        }
    }
}

/// The webhook body of `taken`, one change per business number in the
/// order numbers first appear; each status's sender goes to `told`.
fn webhook_of(taken: Vec<Queued>, told: &mut Vec<oneshot::Sender<()>>) -> serde_json::Value {
    let mut numbers: Vec<(String, String)> = Vec::new();
    let mut statuses: Vec<Vec<StatusItem>> = Vec::new();
    for queued in taken {
        told.push(queued.posted);
        match numbers
            .iter()
            .position(|(id, _)| *id == queued.phone_number_id)
        {
            Some(at) => statuses[at].push(queued.item),
            None => {
                numbers.push((queued.phone_number_id, queued.display_phone_number));
                statuses.push(vec![queued.item]);
            }
        }
    }
    let businesses: Vec<Business<'_>> = numbers
        .iter()
        .map(|(id, display)| Business {
            phone_number_id: id,
            display_phone_number: display,
        })
        .collect();
    payload::statuses(businesses.iter().zip(statuses))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn queued(number: &str, id: &str) -> (Queued, oneshot::Receiver<()>) {
        let (posted, was_posted) = oneshot::channel();
        let queued = Queued {
            phone_number_id: number.into(),
            display_phone_number: format!("display-{number}"),
            item: StatusItem {
                status: json!({"id": id}),
                contact: None,
            },
            posted,
        };
        (queued, was_posted)
    }

    #[test]
    fn at_most_four_posters_start_and_each_stops_on_an_empty_queue() {
        let queue = StatusQueue::default();
        let started: Vec<bool> = (0..6)
            .map(|n| queue.push(queued("1", &n.to_string()).0))
            .collect();
        assert_eq!(started, [true, true, true, true, false, false]);
        assert_eq!(queue.take(4).len(), 4);
        assert_eq!(queue.take(4).len(), 2);
        for out in (0..POSTERS).rev() {
            assert!(queue.take(4).is_empty());
            assert_eq!(queue.lock().posters, out);
        }
        assert!(queue.push(queued("1", "again").0), "a poster starts again");
    }

    #[test]
    fn a_poster_that_panicked_is_counted_off_and_one_that_ran_dry_is_not() {
        let queue = StatusQueue::default();
        assert!(queue.push(queued("1", "a").0));
        drop(PosterOut {
            queue: &queue,
            counted: true,
        });
        assert_eq!(
            queue.lock().posters,
            0,
            "a poster that panicked is counted off"
        );
        assert!(queue.push(queued("1", "b").0), "so a new one starts");
        assert_eq!(queue.take(5).len(), 2);
        assert!(queue.take(5).is_empty());
        drop(PosterOut {
            queue: &queue,
            counted: false,
        });
        assert_eq!(queue.lock().posters, 0);
    }

    #[test]
    fn a_limit_of_zero_still_takes_one() {
        let queue = StatusQueue::default();
        queue.push(queued("1", "a").0);
        queue.push(queued("1", "b").0);
        assert_eq!(queue.take(0).len(), 1);
    }

    #[test]
    fn one_webhook_groups_statuses_by_number_in_order() {
        let taken = vec![queued("1", "a").0, queued("2", "b").0, queued("1", "c").0];
        let mut told = Vec::new();
        let body = webhook_of(taken, &mut told);
        assert_eq!(told.len(), 3);
        let changes = &body["entry"][0]["changes"];
        assert_eq!(changes.as_array().map(Vec::len), Some(2));
        assert_eq!(changes[0]["value"]["metadata"]["phone_number_id"], "1");
        assert_eq!(
            changes[0]["value"]["metadata"]["display_phone_number"],
            "display-1"
        );
        assert_eq!(
            changes[0]["value"]["statuses"],
            json!([{"id": "a"}, {"id": "c"}])
        );
        assert_eq!(changes[1]["value"]["metadata"]["phone_number_id"], "2");
        assert_eq!(changes[1]["value"]["statuses"], json!([{"id": "b"}]));
    }
}
