//! The sandbox playground's side of a test: a source's id by its number,
//! and the callbacks the sandbox's inbox kept (`GET /sandbox/v1/inbox`).

use std::time::Duration;

use serde_json::Value;

use super::{ADMIN_TOKEN, Gateway, poll, read};

impl Gateway {
    /// The id of the source with `number`.
    pub async fn source_id(&self, number: &str) -> String {
        let (status, sources) = self.admin(reqwest::Method::GET, "/sources", None).await;
        assert_eq!(status, 200, "{sources}");
        sources
            .as_array()
            .and_then(|sources| sources.iter().find(|source| source["number"] == number))
            .and_then(|source| source["id"].as_str())
            .unwrap_or_else(|| panic!("no source {number} in {sources}"))
            .to_owned()
    }

    /// The inbox's callbacks after `since`: status and answer.
    pub async fn inbox_since(&self, since: u64, token: Option<&str>) -> (u16, Value) {
        let mut request = self
            .client
            .get(format!("{}/sandbox/v1/inbox?since={since}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.expect("GET /sandbox/v1/inbox")).await
    }

    /// Polls the inbox until one callback body satisfies `wanted`; returns it.
    pub async fn inbox_when(&self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        poll(Duration::from_secs(30), what, || async {
            let (status, answer) = self.inbox_since(0, Some(ADMIN_TOKEN)).await;
            if status != 200 {
                return Err(format!("{status} {answer}"));
            }
            answer["callbacks"]
                .as_array()
                .and_then(|callbacks| {
                    callbacks
                        .iter()
                        .map(|callback| &callback["body"])
                        .find(|body| wanted(body))
                })
                .cloned()
                .ok_or_else(|| answer.to_string())
        })
        .await
    }
}
