//! A Chrome DevTools Protocol command sent through chromedriver's `goog/cdp/execute`
//! endpoint, for what WebDriver itself cannot do (a script run in every new document before
//! the page's own).

use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{json, Value};

/// One CDP command: its method (`Page.addScriptToEvaluateOnNewDocument`) and parameters.
#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) method: &'static str,
    pub(crate) params: Value,
}

impl WebDriverCompatibleCommand for Command {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.method, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}
