//! Media uploads to the Cloud API, the file streamed through (never held
//! whole in memory), with the upload's own timeout in place of the
//! client's:
//!
//! - normal: `POST /{version}/{phone-number-id}/media`, multipart
//!   `messaging_product=whatsapp`, `type` (the MIME type) and `file`;
//!   Meta answers `{"id": "<media id>"}`.
//! - resumable (Meta's Resumable Upload API): `POST
//!   /{version}/{app-id}/uploads?file_name=&file_length=&file_type=` opens a
//!   session (`{"id": "upload:…"}`), then `POST /{version}/upload:…` with
//!   `Authorization: OAuth <token>`, `file_offset: 0` and the bytes as the
//!   body; Meta answers `{"h": "<handle>"}`.

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{CloudApiClient, EXCERPT_LEN, SendError, error_chain, parse_error};

/// A file on its way to the Cloud API.
pub struct Upload {
    /// The name Meta is told (the client's, or a default).
    pub file_name: String,
    pub mime_type: String,
    /// The bytes, as a stream.
    pub body: reqwest::Body,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct Handle {
    h: String,
}

impl CloudApiClient {
    /// Uploads a file for sending by id; answers Meta's media id.
    pub async fn upload_media(
        &self,
        phone_number_id: &str,
        access_token: &str,
        upload: Upload,
        timeout: Duration,
    ) -> Result<String, SendError> {
        let file = reqwest::multipart::Part::stream(upload.body)
            .file_name(upload.file_name)
            .mime_str(&upload.mime_type)
            .map_err(|error| SendError::Unexpected {
                http_status: 0,
                excerpt: format!("the media type {} is not valid: {error}", upload.mime_type),
            })?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", upload.mime_type)
            .part("file", file);
        let request = self
            .http
            .post(self.graph_url(&[phone_number_id, "media"]))
            .bearer_auth(access_token)
            .timeout(timeout)
            .multipart(form);
        let created: Created = answer(request).await?;
        Ok(created.id)
    }

    /// Uploads a file of `length` bytes through a resumable upload session
    /// of the app `app_id`; answers the file's handle.
    pub async fn upload_resumable(
        &self,
        app_id: &str,
        access_token: &str,
        upload: Upload,
        length: u64,
        timeout: Duration,
    ) -> Result<String, SendError> {
        let mut open = self.graph_url(&[app_id, "uploads"]);
        open.query_pairs_mut()
            .append_pair("file_name", &upload.file_name)
            .append_pair("file_length", &length.to_string())
            .append_pair("file_type", &upload.mime_type);
        let session: Created = answer(self.http.post(open).bearer_auth(access_token)).await?;
        let request = self
            .http
            .post(self.graph_url(&[&session.id]))
            .header(
                reqwest::header::AUTHORIZATION,
                format!("OAuth {access_token}"),
            )
            .header("file_offset", "0")
            .header(reqwest::header::CONTENT_LENGTH, length)
            .timeout(timeout)
            .body(upload.body);
        let handle: Handle = answer(request).await?;
        Ok(handle.h)
    }
}

/// Sends `request`; Meta's success body as `T`, or its error.
async fn answer<T: DeserializeOwned>(request: reqwest::RequestBuilder) -> Result<T, SendError> {
    let response = request
        .send()
        .await
        .map_err(|error| SendError::Unreachable(error_chain(&error)))?;
    let http_status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .map_err(|error| SendError::Unreachable(error_chain(&error)))?;
    if !(200..300).contains(&http_status) {
        return Err(parse_error(http_status, &bytes));
    }
    serde_json::from_slice(&bytes).map_err(|_| SendError::Unexpected {
        http_status,
        excerpt: String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT_LEN)]).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::CloudApiConfig;
    use super::*;

    #[test]
    fn upload_paths_follow_the_graph_api() {
        let client = CloudApiClient::new(CloudApiConfig {
            base_url: url::Url::parse("http://127.0.0.1:8090/graph/").expect("url"),
            graph_version: "v23.0".into(),
            timeout: Duration::from_secs(1),
        })
        .expect("client");
        assert_eq!(
            client.graph_url(&["pnid", "media"]).as_str(),
            "http://127.0.0.1:8090/graph/v23.0/pnid/media"
        );
        assert_eq!(
            client.graph_url(&["upload:MTphdHRh"]).as_str(),
            "http://127.0.0.1:8090/graph/v23.0/upload:MTphdHRh"
        );
    }
}
