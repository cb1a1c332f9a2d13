//! LINK's per-source calls (`…/source/{s}…`, templates among them) as a
//! tenant, and a helper that creates templates and waits until Meta (the sandbox)
//! approved them, for tests that send templates other than `hello_world`.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Gateway, Tenant, poll, read};

impl Gateway {
    /// `METHOD /whatsapp-message/platformId/…/source/{source}{suffix}` (a
    /// LINK per-source call) as `tenant` (its own platform ids), with a
    /// JSON body when given; `source` goes into the path as given (`+` or
    /// `%2B`). The status, the JSON body and `Retry-After`.
    pub async fn source_call(
        &self,
        tenant: &Tenant,
        method: reqwest::Method,
        source: &str,
        suffix: &str,
        body: Option<Value>,
    ) -> (u16, Value, Option<String>) {
        let url = format!(
            "{}/whatsapp-message/platformId/{}/platformPartnerId/{}/source/{source}{suffix}",
            self.base, tenant.platform_id, tenant.platform_partner_id
        );
        let mut request = self
            .client
            .request(method, url)
            .basic_auth(&tenant.username, Some(&tenant.password));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("a per-source call");
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let (status, body) = read(response).await;
        (status, body, retry_after)
    }

    /// [`Self::source_call`] under `…/templates{suffix}`: status and body.
    pub async fn templates_call(
        &self,
        tenant: &Tenant,
        method: reqwest::Method,
        source: &str,
        suffix: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (status, body, _) = self
            .source_call(tenant, method, source, &format!("/templates{suffix}"), body)
            .await;
        (status, body)
    }

    /// Creates the templates `names` (`en`, UTILITY, no parameters) on the
    /// tenant's source and waits until each is APPROVED.
    pub async fn approved_templates(&self, tenant: &Tenant, names: &[&str]) {
        for name in names {
            let (status, answer) = self
                .templates_call(
                    tenant,
                    reqwest::Method::PUT,
                    &tenant.source,
                    "",
                    Some(template_body(name, "en", "UTILITY")),
                )
                .await;
            assert_eq!(status, 200, "creating {name}: {answer}");
            let id = answer["id"].as_str().expect("template id").to_owned();
            poll(
                Duration::from_secs(30),
                "the template's approval",
                || async {
                    let (status, template) = self
                        .templates_call(
                            tenant,
                            reqwest::Method::GET,
                            &tenant.source,
                            &format!("/{id}"),
                            None,
                        )
                        .await;
                    if status == 200 && template["status"] == "APPROVED" {
                        Ok(())
                    } else {
                        Err(format!("{status} {template}"))
                    }
                },
            )
            .await;
        }
    }
}

/// A template without parameters, as Meta's API takes it.
pub fn template_body(name: &str, language: &str, category: &str) -> Value {
    json!({
        "name": name,
        "language": language,
        "category": category,
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Your order"},
            {"type": "BODY", "text": "Your order is ready for pickup."},
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
        ],
    })
}
