//! The sandbox number table: a recipient's last four digits pick what the
//! simulated Cloud API does with a send, like a payment provider's test
//! cards.
//!
//! | ends in | the sandbox does |
//! | --- | --- |
//! | `9900` | accepts, then a `failed` status with error 131026 |
//! | `9901` | rejects with 131000 (HTTP 500) twice, then accepts |
//! | `9902` | rejects with 130429 (HTTP 429) once, then accepts |
//! | `9903` | rejects with error 100 (invalid parameter) |
//! | `9904` | accepts: `sent`, `delivered`, never `read` |
//! | anything else | accepts: `sent`, `delivered`, `read` |
//!
//! "Twice" and "once" count sends of the same body to the same phone number
//! id, so a resend follows the path and a different message starts over.

/// How a recipient behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Undeliverable,
    TransientTwice,
    RateLimitedOnce,
    InvalidParameter,
    NeverRead,
    Normal,
}

/// Why a send is rejected synchronously.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// 131000, "Something went wrong" (retryable).
    Transient,
    /// 130429, "Rate limit hit" (retryable).
    RateLimited,
    /// 100, invalid parameter (final).
    InvalidParameter,
}

/// One status webhook after an accepted send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Sent,
    Delivered,
    Read,
    /// `failed` with error 131026, "Message undeliverable".
    Undeliverable,
    /// `failed` with error 131053, "Media upload error": the message names
    /// a media id the sending number does not know.
    MediaUnavailable,
}

/// The steps of a message whose media cannot be had.
pub const MEDIA_UNAVAILABLE: &[Step] = &[Step::MediaUnavailable];

impl Step {
    /// The `status` value of the webhook.
    pub fn status(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Undeliverable | Self::MediaUnavailable => "failed",
        }
    }
}

/// What happens to one send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Reject(Rejection),
    Accept(&'static [Step]),
}

const READ: &[Step] = &[Step::Sent, Step::Delivered, Step::Read];
const UNREAD: &[Step] = &[Step::Sent, Step::Delivered];
const UNDELIVERABLE: &[Step] = &[Step::Undeliverable];

impl Behaviour {
    /// The behaviour of a recipient with these digits (its last four count).
    pub fn of(digits: &str) -> Self {
        let last_four = digits.get(digits.len().saturating_sub(4)..).unwrap_or("");
        match last_four {
            "9900" => Self::Undeliverable,
            "9901" => Self::TransientTwice,
            "9902" => Self::RateLimitedOnce,
            "9903" => Self::InvalidParameter,
            "9904" => Self::NeverRead,
            _ => Self::Normal,
        }
    }

    /// Whether the outcome depends on how often the same send came before.
    pub fn counts_attempts(self) -> bool {
        matches!(self, Self::TransientTwice | Self::RateLimitedOnce)
    }

    /// The outcome of a send that came `earlier` times before.
    pub fn decide(self, earlier: u32) -> Decision {
        match self {
            Self::Undeliverable => Decision::Accept(UNDELIVERABLE),
            Self::TransientTwice if earlier < 2 => Decision::Reject(Rejection::Transient),
            Self::RateLimitedOnce if earlier < 1 => Decision::Reject(Rejection::RateLimited),
            Self::InvalidParameter => Decision::Reject(Rejection::InvalidParameter),
            Self::NeverRead => Decision::Accept(UNREAD),
            Self::TransientTwice | Self::RateLimitedOnce | Self::Normal => Decision::Accept(READ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_four_digits_pick_the_behaviour() {
        assert_eq!(Behaviour::of("46701239900"), Behaviour::Undeliverable);
        assert_eq!(Behaviour::of("46701239901"), Behaviour::TransientTwice);
        assert_eq!(Behaviour::of("46701239902"), Behaviour::RateLimitedOnce);
        assert_eq!(Behaviour::of("46701239903"), Behaviour::InvalidParameter);
        assert_eq!(Behaviour::of("46701239904"), Behaviour::NeverRead);
        assert_eq!(Behaviour::of("46701234567"), Behaviour::Normal);
        assert_eq!(Behaviour::of("99001"), Behaviour::Normal);
        assert_eq!(Behaviour::of("900"), Behaviour::Normal);
        assert_eq!(Behaviour::of(""), Behaviour::Normal);
        // A BSUID's digits.
        assert_eq!(Behaviour::of("13491208655302749904"), Behaviour::NeverRead);
    }

    #[test]
    fn each_behaviour_follows_its_path() {
        assert_eq!(
            Behaviour::Undeliverable.decide(0),
            Decision::Accept(&[Step::Undeliverable])
        );
        let transient: Vec<_> = (0..4)
            .map(|n| Behaviour::TransientTwice.decide(n))
            .collect();
        assert_eq!(
            transient,
            [
                Decision::Reject(Rejection::Transient),
                Decision::Reject(Rejection::Transient),
                Decision::Accept(READ),
                Decision::Accept(READ),
            ]
        );
        assert_eq!(
            Behaviour::RateLimitedOnce.decide(0),
            Decision::Reject(Rejection::RateLimited)
        );
        assert_eq!(Behaviour::RateLimitedOnce.decide(1), Decision::Accept(READ));
        for earlier in 0..3 {
            assert_eq!(
                Behaviour::InvalidParameter.decide(earlier),
                Decision::Reject(Rejection::InvalidParameter)
            );
        }
        assert_eq!(
            Behaviour::NeverRead.decide(0),
            Decision::Accept(&[Step::Sent, Step::Delivered])
        );
        assert_eq!(Behaviour::Normal.decide(0), Decision::Accept(READ));
        assert!(Behaviour::TransientTwice.counts_attempts());
        assert!(Behaviour::RateLimitedOnce.counts_attempts());
        assert!(!Behaviour::Normal.counts_attempts());
    }

    #[test]
    fn statuses_are_named_like_meta() {
        let names: Vec<_> = [Step::Sent, Step::Delivered, Step::Read, Step::Undeliverable]
            .iter()
            .map(|step| step.status())
            .collect();
        assert_eq!(names, ["sent", "delivered", "read", "failed"]);
    }
}
