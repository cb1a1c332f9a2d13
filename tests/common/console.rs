//! A browser's view of the console without a browser: a client that keeps
//! no cookies and follows no redirects, so each test sees exactly what the
//! gateway answers.

use reqwest::redirect::Policy;
use reqwest::{Client, Response};

use super::{ADMIN_TOKEN, Gateway};

const FORM: &str = "application/x-www-form-urlencoded";

/// `fields` as a form body.
fn form(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// A console client of `gateway`.
pub struct Console {
    pub base: String,
    pub client: Client,
    /// `wagate_console=…`, once signed in.
    pub cookie: Option<String>,
}

impl Console {
    pub fn of(gateway: &Gateway) -> Self {
        Self {
            base: gateway.base.clone(),
            client: Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("a client"),
            cookie: None,
        }
    }

    /// Signs in with `token`; the answer is returned as is.
    pub async fn sign_in_with(&mut self, token: &str) -> Response {
        let answer = self
            .client
            .post(format!("{}/console/login", self.base))
            .header("content-type", FORM)
            .body(form(&[("token", token)]))
            .send()
            .await
            .expect("POST /console/login");
        if let Some(cookie) = answer.headers().get("set-cookie") {
            let cookie = cookie.to_str().expect("a cookie");
            self.cookie = cookie.split(';').next().map(str::to_owned);
        }
        answer
    }

    /// Signs in with the admin token.
    pub async fn sign_in(&mut self) {
        let answer = self.sign_in_with(ADMIN_TOKEN).await;
        assert_eq!(answer.status(), 303, "signing in");
        assert!(self.cookie.is_some(), "a session cookie");
    }

    /// `GET path` with the session (if any).
    pub async fn get(&self, path: &str) -> Response {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("GET a console page")
    }

    /// A page's HTML; it must answer 200.
    pub async fn page(&self, path: &str) -> String {
        let answer = self.get(path).await;
        assert_eq!(answer.status(), 200, "GET {path}");
        answer.text().await.expect("HTML")
    }

    /// `POST path` with the form `fields`, the session and `extra` headers.
    pub async fn post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", FORM)
            .body(form(fields));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        request.send().await.expect("POST a console action")
    }

    /// The CSRF token a page's forms carry.
    pub async fn csrf(&self, path: &str) -> String {
        let html = self.page(path).await;
        let (_, rest) = html
            .split_once(r#"name="csrf" value=""#)
            .expect("a form with a CSRF token");
        rest.split('"').next().expect("the token").to_owned()
    }
}

/// The latest value an overview chart shows for the series `key`
/// (`id="latest-<key>"`), if it has one.
pub fn latest(html: &str, key: &str) -> Option<f64> {
    let (_, rest) = html.split_once(&format!(r#"id="latest-{key}" data-value=""#))?;
    rest.split('"').next()?.parse().ok()
}
