//! The normal upload's file, handed to the Cloud API as it arrives: the
//! client's chunks go through a small bounded channel into the upstream
//! request's body, so at most [`CHUNKS_IN_FLIGHT`] chunks are held and a
//! slow Meta slows the client down. The bytes are counted on the way; past
//! the type's limit (or if the client's body breaks) the upstream request
//! is aborted and the client answered `112502` (or the body's error).

use std::future::Future;

use axum::body::Bytes;
use axum::extract::multipart::Field;
use tokio::sync::mpsc;
use wagate_domain::media_type::MediaType;
use wagate_domain::{Rule, Violation};

use super::form::read_error;
use crate::api::link::error::LinkError;
use crate::upstream::meta::SendError;

/// Chunks between the client and the Cloud API at most.
pub const CHUNKS_IN_FLIGHT: usize = 4;

/// Streams `field` (a file of type `kind`) into the body `upload` sends;
/// `limit` is the request body's. Answers what `upload` answered.
pub async fn to_meta<T, F, Fut>(
    field: Field<'_>,
    kind: MediaType,
    limit: usize,
    upload: F,
) -> Result<T, LinkError>
where
    F: FnOnce(reqwest::Body) -> Fut,
    Fut: Future<Output = Result<T, SendError>>,
{
    let (sender, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let (pumped, uploaded) = tokio::join!(
        pump(field, kind, limit, sender),
        upload(reqwest::Body::wrap_stream(chunks))
    );
    pumped?;
    uploaded.map_err(LinkError::from)
}

type Chunk = Result<Bytes, std::io::Error>;

/// Moves the chunks of `field` into `sender`, counting them. On an error
/// the upstream body ends with an error too (so the request is aborted,
/// not completed with a truncated file). If the upstream request ends
/// first (Meta answered or failed), the rest is left unread.
async fn pump(
    mut field: Field<'_>,
    kind: MediaType,
    limit: usize,
    sender: mpsc::Sender<Chunk>,
) -> Result<u64, LinkError> {
    let abort = |sender: mpsc::Sender<Chunk>, error: LinkError| async move {
        let _ = sender
            .send(Err(std::io::Error::other("the upload was cut off")))
            .await;
        Err(error)
    };
    let mut total = 0u64;
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) if total == 0 => {
                return abort(
                    sender,
                    LinkError::File(Violation::new("media", Rule::NotEmpty)),
                )
                .await;
            }
            Ok(None) => return Ok(total),
            Err(error) => return abort(sender, read_error(&error, limit)).await,
        };
        total = total.saturating_add(chunk.len() as u64);
        if total > kind.max_bytes {
            let over = Violation::new(
                "media",
                Rule::MaxBytes {
                    max: kind.max_bytes,
                    of: kind.mime,
                },
            );
            return abort(sender, LinkError::File(over)).await;
        }
        if sender.send(Ok(chunk)).await.is_err() {
            return Ok(total);
        }
    }
}
