//! A real headless Chromium, driven over WebDriver: `chromedriver` (Debian's
//! chromium-driver) on a port of 127.0.0.1, one browser session per test.
//! Without chromedriver the browser tests are skipped, unless
//! `WAGATE_TEST_REQUIRE_BROWSER` is set (CI installs it and sets it): then
//! they fail. Screenshots go to `target/console-screenshots/`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::process::{Child, Command};

/// Where the screenshots go.
pub fn screenshot_dir() -> PathBuf {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    target
        .parent()
        .map_or(target.clone(), PathBuf::from)
        .join("console-screenshots")
}

/// The chromedriver binary, if this machine has one.
fn chromedriver() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WAGATE_TEST_CHROMEDRIVER") {
        return Some(PathBuf::from(path));
    }
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
}

/// A browser session and the chromedriver behind it (killed on drop).
pub struct Browser {
    pub client: Client,
    _driver: Child,
    /// The console's base URL, `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Browser {
    /// A headless Chromium for a gateway at `base`; `None` (the test is
    /// skipped) when there is no chromedriver and none is required.
    pub async fn start(base: &str, test: &str) -> Option<Self> {
        let Some(driver) = chromedriver() else {
            assert!(
                std::env::var_os("WAGATE_TEST_REQUIRE_BROWSER").is_none(),
                "{test}: WAGATE_TEST_REQUIRE_BROWSER is set but there is no chromedriver \
                 (install chromium and chromium-driver)"
            );
            eprintln!("skipped {test}: no chromedriver (Debian: chromium-driver)");
            return None;
        };
        let port = free_port();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("starting {}: {error}", driver.display()));
        let url = format!("http://127.0.0.1:{port}");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                ],
            }),
        );
        let client = super::poll(Duration::from_secs(30), "chromedriver to start", || {
            let capabilities = capabilities.clone();
            let url = url.clone();
            async move {
                ClientBuilder::rustls()
                    .map_err(|error| error.to_string())?
                    .capabilities(capabilities)
                    .connect(&url)
                    .await
                    .map_err(|error| error.to_string())
            }
        })
        .await;
        Some(Self {
            client,
            _driver: child,
            base: base.to_owned(),
        })
    }

    /// Opens `path` of the console.
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|error| panic!("opening {path}: {error}"));
    }

    /// The element `css`, once it exists (within 30 s).
    async fn element(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("no {css}: {error}"))
    }

    /// The text of the element `css`, once it exists.
    pub async fn text(&self, css: &str) -> String {
        self.element(css)
            .await
            .text()
            .await
            .unwrap_or_else(|error| panic!("the text of {css}: {error}"))
    }

    /// Clicks the element `css`.
    pub async fn click(&self, css: &str) {
        self.element(css)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("clicking {css}: {error}"));
    }

    /// Types `text` into the field `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        self.element(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|error| panic!("typing into {css}: {error}"));
    }

    /// Chooses the option with `value` in the select element `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.element(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|error| panic!("choosing {value} in {css}: {error}"));
    }

    /// Polls until the element `css` has `wanted` in its text.
    pub async fn wait_for_text(&self, css: &str, wanted: &str) {
        super::poll(
            Duration::from_secs(60),
            &format!("{css} to show {wanted}"),
            || async {
                let text = match self.client.find(Locator::Css(css)).await {
                    Ok(element) => element.text().await.unwrap_or_default(),
                    Err(error) => return Err(error.to_string()),
                };
                if text.contains(wanted) {
                    Ok(())
                } else {
                    Err(text)
                }
            },
        )
        .await;
    }

    /// Makes the window a phone's (390 × 844).
    pub async fn as_a_phone(&self) {
        self.client
            .set_window_size(390, 844)
            .await
            .expect("a phone-sized window");
    }

    /// How many pixels the page is wider than the window (0 when it
    /// fits; tables scroll inside their own box).
    pub async fn overflow(&self) -> i64 {
        let overflow = self
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .expect("the page's width");
        overflow
            .as_i64()
            .unwrap_or_else(|| panic!("not a width: {overflow}"))
    }

    /// Replaces the text of the element `css` with as many `W`s (the
    /// widest letter) as it has characters: the widest value a random id
    /// of that length can take, for a layout check that does not depend on
    /// the id a run happened to draw.
    pub async fn widest_text(&self, css: &str) {
        let replaced = self
            .client
            .execute(
                "const element = document.querySelector(arguments[0]);
                 if (!element) { return false; }
                 element.textContent = 'W'.repeat(element.textContent.length);
                 return true;",
                vec![json!(css)],
            )
            .await
            .unwrap_or_else(|error| panic!("widening {css}: {error}"));
        assert_eq!(replaced, json!(true), "no {css} to widen");
    }

    /// The page, once its layout settles, fits a phone's width (nothing
    /// scrolls sideways; see [`Browser::overflow`]); saves it as
    /// `screenshot.png`.
    pub async fn assert_fits_the_phone(&self, screenshot: &str) {
        let url = self.client.current_url().await.expect("url");
        super::poll(
            Duration::from_secs(10),
            &format!("{} to fit the phone's width", url.path()),
            || async {
                match self.overflow().await {
                    0 => Ok(()),
                    wider => Err(format!("{wider} px wider")),
                }
            },
        )
        .await;
        self.screenshot(screenshot).await;
    }

    /// Saves a screenshot of the page as `name.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|error| panic!("a screenshot: {error}"));
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("the screenshot directory");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("writing a screenshot");
    }

    /// Signs in with the admin token.
    pub async fn sign_in(&self) {
        self.open("/console/login").await;
        self.fill("#token", super::ADMIN_TOKEN).await;
        self.click("#sign-in").await;
        self.wait_for_text("h1", "Overview").await;
    }

    /// Ends the browser session.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}
