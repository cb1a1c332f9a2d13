//! Message template management on the WhatsApp Business Management API,
//! through the Cloud API client's pool and error reading: create
//! (`POST /{waba-id}/message_templates`), list (`GET` the same, with
//! `name`, `status`, `limit`, `after`), get and edit (`GET`/`POST
//! /{template-id}`), delete (`DELETE /{waba-id}/message_templates` with
//! `hsm_id` and `name`). Answers are Meta's JSON as it wrote it.

use reqwest::Method;
use serde_json::Value;

use super::meta::{CloudApiClient, SendError};

/// The list filters and paging passed on to Meta as they came.
pub const LIST_PARAMETERS: [&str; 4] = ["name", "status", "limit", "after"];

impl CloudApiClient {
    /// Submits a template for review: Meta answers `{"id","status","category"}`.
    pub async fn create_template(
        &self,
        waba_id: &str,
        access_token: &str,
        template: &Value,
    ) -> Result<Value, SendError> {
        self.graph_json(
            Method::POST,
            &[waba_id, "message_templates"],
            &[],
            access_token,
            Some(template),
        )
        .await
    }

    /// Edits a template's category or components: `{"success": true}`.
    pub async fn edit_template(
        &self,
        template_id: &str,
        access_token: &str,
        changes: &Value,
    ) -> Result<Value, SendError> {
        self.graph_json(
            Method::POST,
            &[template_id],
            &[],
            access_token,
            Some(changes),
        )
        .await
    }

    /// One template by its id.
    pub async fn template(
        &self,
        template_id: &str,
        access_token: &str,
    ) -> Result<Value, SendError> {
        self.graph_json(Method::GET, &[template_id], &[], access_token, None)
            .await
    }

    /// A page of the WABA's templates: `{"data": […], "paging": {…}}`;
    /// `query` holds the [`LIST_PARAMETERS`] given.
    pub async fn templates(
        &self,
        waba_id: &str,
        access_token: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, SendError> {
        self.graph_json(
            Method::GET,
            &[waba_id, "message_templates"],
            query,
            access_token,
            None,
        )
        .await
    }

    /// Deletes the template `template_id` named `name`: `{"success": true}`.
    pub async fn delete_template(
        &self,
        waba_id: &str,
        access_token: &str,
        template_id: &str,
        name: &str,
    ) -> Result<Value, SendError> {
        self.graph_json(
            Method::DELETE,
            &[waba_id, "message_templates"],
            &[("hsm_id", template_id), ("name", name)],
            access_token,
            None,
        )
        .await
    }
}
