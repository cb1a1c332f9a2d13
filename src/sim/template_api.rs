//! The simulator's WhatsApp Business Management template endpoints, as
//! the Graph API answers them:
//!
//! - `POST /{version}/{waba-id}/message_templates`: create, checked by
//!   `template_rules`; `{"id","status":"PENDING","category"}`. After the
//!   status delay the template is APPROVED and a
//!   `message_template_status_update` webhook goes out.
//! - `GET /{version}/{waba-id}/message_templates?name=&status=&limit=&after=`:
//!   `{"data": […], "paging": {"cursors": {…}, "next"?}}`.
//! - `GET /{version}/{template-id}`, `POST /{version}/{template-id}`: read,
//!   edit (`{"success": true}`).
//! - `DELETE /{version}/{waba-id}/message_templates?name=&hsm_id=`.
//!
//! Each wants a bearer token, like every Graph call.

use std::collections::HashMap;

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::meta_error::MetaError;
use super::send::is_version;
use super::templates::{DEFAULT_PAGE, Filter};
use super::{Sim, payload, template_rules};
use crate::clock::now_millis;

/// The common checks of a Graph call: the version and a token.
pub(super) fn graph_call(version: &str, path: &str, token: Option<&str>) -> Result<(), MetaError> {
    if !is_version(version) {
        return Err(MetaError::unknown_path(&format!("/{version}/{path}")));
    }
    if token.is_none_or(|token| token.trim().is_empty()) {
        return Err(MetaError::unauthorized());
    }
    Ok(())
}

pub(super) fn answer(result: Result<Value, MetaError>) -> Response {
    match result {
        Ok(body) => Json(body).into_response(),
        Err(error) => error.into_response(),
    }
}

pub(super) fn json_body(raw: &[u8]) -> Result<Value, MetaError> {
    serde_json::from_slice(raw)
        .map_err(|_| MetaError::invalid_parameter("The request body is not valid JSON"))
}

impl Sim {
    /// Remembers that the phone number id belongs to the WABA, so that its
    /// sends may use the WABA's templates (the gateway registers its
    /// sandbox sources; `POST /sim/v1/numbers` does it over HTTP).
    pub fn register_number(&self, phone_number_id: &str, waba_id: &str) {
        self.register_number_with(phone_number_id, waba_id, None, None);
    }

    /// [`Sim::register_number`] with the number's digits (for analytics
    /// filtered by number) and its throughput level (what the phone number
    /// node reports), each kept as it was when `None`.
    pub fn register_number_with(
        &self,
        phone_number_id: &str,
        waba_id: &str,
        digits: Option<&str>,
        level: Option<&str>,
    ) {
        if !self
            .state()
            .register_number(phone_number_id, waba_id, digits, level)
        {
            tracing::warn!(phone_number_id, "the sandbox's table of numbers is full");
        }
    }

    /// [`Sim::register_number`] for a gateway source with both ids, its
    /// number and level.
    pub fn register_source(&self, source: &crate::store::Source) {
        if let (Some(phone_number_id), Some(waba_id)) = (&source.phone_number_id, &source.waba_id) {
            self.register_number_with(
                phone_number_id,
                waba_id,
                Some(source.number.trim_start_matches('+')),
                Some(source.level.as_str()),
            );
        }
    }

    pub(super) fn create_template(
        &self,
        version: &str,
        waba_id: &str,
        token: Option<&str>,
        raw: &[u8],
    ) -> Response {
        let result = graph_call(version, &format!("{waba_id}/message_templates"), token)
            .and_then(|()| json_body(raw))
            .and_then(|body| template_rules::check_new(&body))
            .and_then(|new| self.state().templates.create(waba_id, new));
        match result {
            Ok(template) => {
                tracing::debug!(waba_id, name = %template.name, "simulated template submitted");
                let sim = self.clone();
                let (waba_id, id) = (waba_id.to_owned(), template.id.clone());
                tokio::spawn(async move { sim.review(waba_id, id).await });
                Json(json!({
                    "id": template.id,
                    "status": template.status.as_str(),
                    "category": template.category.as_str(),
                }))
                .into_response()
            }
            Err(error) => error.into_response(),
        }
    }

    /// Approves a submitted template after the status delay and tells the
    /// business by webhook.
    async fn review(self, waba_id: String, id: String) {
        tokio::time::sleep(self.config().status_delay).await;
        let approved = self.state().templates.approve(&id);
        if let Some(template) = approved {
            let body =
                payload::template_status(&waba_id, &template, "APPROVED", now_millis() / 1000);
            self.deliver(body).await;
        }
    }

    pub(super) fn list_templates(
        &self,
        host: &str,
        version: &str,
        waba_id: &str,
        token: Option<&str>,
        query: &HashMap<String, String>,
    ) -> Response {
        let path = format!("{waba_id}/message_templates");
        answer(graph_call(version, &path, token).and_then(|()| {
            let limit = match query.get("limit") {
                None => DEFAULT_PAGE,
                Some(text) => text.parse::<usize>().map_err(|_| {
                    MetaError::invalid_parameter(format!(
                        "Param limit must be a number, got \"{text}\""
                    ))
                })?,
            };
            let filter = Filter {
                name: query.get("name").cloned(),
                status: query.get("status").cloned(),
            };
            let page = self.state().templates.page(
                waba_id,
                &filter,
                limit,
                query.get("after").map(String::as_str),
            )?;
            let mut paging = json!({"cursors": {"before": page.before, "after": page.after}});
            if page.more
                && let Some(after) = &page.after
            {
                let mut next = url::Url::parse(&format!("http://{host}/{version}/{path}"))
                    .map_err(|_| MetaError::unknown_path(&path))?;
                next.query_pairs_mut()
                    .extend_pairs(query.iter().filter(|(key, _)| key.as_str() != "after"))
                    .append_pair("after", after);
                paging["next"] = json!(next.as_str());
            }
            let data: Vec<Value> = page.data.iter().map(|t| t.to_json()).collect();
            Ok(json!({"data": data, "paging": paging}))
        }))
    }

    /// `GET /{version}/{id}` when `id` is a template's.
    pub(super) fn template_by_id(&self, id: &str) -> Option<Value> {
        self.state()
            .templates
            .by_id(id)
            .map(|(_, template)| template.to_json())
    }

    pub(super) fn edit_template(
        &self,
        version: &str,
        id: &str,
        token: Option<&str>,
        raw: &[u8],
    ) -> Response {
        answer(graph_call(version, id, token).and_then(|()| {
            let body = json_body(raw)?;
            let mut state = self.state();
            let (_, current) = state
                .templates
                .by_id(id)
                .ok_or_else(|| MetaError::no_such_object(id))?;
            let edit = template_rules::check_edit(&body, current.category)?;
            state.templates.edit(id, edit, now_millis())?;
            Ok(json!({"success": true}))
        }))
    }

    pub(super) fn delete_templates(
        &self,
        version: &str,
        waba_id: &str,
        token: Option<&str>,
        query: &HashMap<String, String>,
    ) -> Response {
        let path = format!("{waba_id}/message_templates");
        answer(graph_call(version, &path, token).and_then(|()| {
            let Some(name) = query.get("name").filter(|name| !name.is_empty()) else {
                return Err(MetaError::invalid_parameter(
                    "The parameter name is required.",
                ));
            };
            self.state().templates.delete(
                waba_id,
                name,
                query.get("hsm_id").map(String::as_str),
            )?;
            Ok(json!({"success": true}))
        }))
    }
}
