//! The resumable upload's file, spooled to disk: Meta's Resumable Upload
//! API needs the file's length before its bytes. The file goes to an
//! anonymous temporary file (unlinked at once, so nothing is left behind,
//! even after a crash), counted against its type's limit as it is written,
//! then is read back as the upstream request's body.

use axum::extract::multipart::Field;
use tokio::io::{AsyncSeekExt as _, AsyncWriteExt as _};
use wagate_domain::media_type::MediaType;
use wagate_domain::{Rule, Violation};

use super::form::read_error;
use crate::api::link::error::LinkError;

/// A file on disk, and its length.
pub struct Spooled {
    file: tokio::fs::File,
    pub length: u64,
}

impl Spooled {
    /// The file as a streamed request body.
    pub fn body(self) -> reqwest::Body {
        reqwest::Body::from(self.file)
    }
}

/// Writes `field` (a file of type `kind`) to a temporary file; `limit` is
/// the request body's.
pub async fn to_disk(
    mut field: Field<'_>,
    kind: MediaType,
    limit: usize,
) -> Result<Spooled, LinkError> {
    let disk_error = |error: std::io::Error| {
        tracing::error!(%error, "spooling an upload to a temporary file failed");
        LinkError::Internal
    };
    let mut file = tokio::fs::File::from_std(tempfile::tempfile().map_err(disk_error)?);
    let mut length = 0u64;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|error| read_error(&error, limit))?
    {
        length = length.saturating_add(chunk.len() as u64);
        if length > kind.max_bytes {
            return Err(LinkError::File(Violation::new(
                "media",
                Rule::MaxBytes {
                    max: kind.max_bytes,
                    of: kind.mime,
                },
            )));
        }
        file.write_all(&chunk).await.map_err(disk_error)?;
    }
    if length == 0 {
        return Err(LinkError::File(Violation::new("media", Rule::NotEmpty)));
    }
    file.flush().await.map_err(disk_error)?;
    file.rewind().await.map_err(disk_error)?;
    Ok(Spooled { file, length })
}
