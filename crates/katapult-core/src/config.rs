//! Building a [`Client`]: token, base URL, user agent, timeouts, retries,
//! and the checks that refuse an unsafe or malformed configuration before
//! anything is sent.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::Client;
use crate::client::ClientInner;
use crate::error::{ConfigError, Error};
use crate::governor::{DEFAULT_WINDOW, Governor, MAX_WINDOW};
use crate::hooks::Hook;
use crate::retry::RetryPolicy;
use crate::settings::ClientSettings;
use crate::token::{Credential, TokenProvider};

/// Katapult's Core API v1.
pub const DEFAULT_BASE_URL: &str = "https://api.katapult.io/core/v1";
/// Environment variable holding the API token.
pub const TOKEN_ENV: &str = "KATAPULT_API_TOKEN";
/// Environment variable overriding the base URL.
pub const BASE_URL_ENV: &str = "KATAPULT_API_URL";

/// Default time allowed to establish a connection (TCP and TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for one attempt, from sending to the end of the body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit on a response body. A disk is a few kilobytes; this guards
/// memory against a misbehaving server or proxy.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// Configures and builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use katapult_core::{Client, RetryPolicy};
///
/// let client = Client::builder()
///     .token("my-api-token")
///     .user_agent_product("disk-janitor/1.4")
///     .timeout(Duration::from_secs(20))
///     .retry(RetryPolicy::default().with_max_attempts(3))
///     .build()?;
/// assert_eq!(client.base_url(), "https://api.katapult.io/core/v1");
/// # Ok::<(), katapult_core::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    token: Option<String>,
    base_url: String,
    user_agent_product: Option<String>,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    max_response_bytes: usize,
    http_client: Option<reqwest::Client>,
    rate_limit_window: Duration,
    rate_limit_governor: bool,
    /// Root certificates and trust store (set in src/trust.rs).
    pub(crate) trust: crate::trust::Trust,
    // Extension points, set in their own modules (`hooks.rs`, `token.rs`).
    pub(crate) hooks: Vec<Arc<dyn Hook>>,
    pub(crate) token_provider: Option<Arc<dyn TokenProvider>>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            token: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            user_agent_product: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            http_client: None,
            rate_limit_window: DEFAULT_WINDOW,
            rate_limit_governor: true,
            trust: crate::trust::Trust::default(),
            hooks: Vec::new(),
            token_provider: None,
        }
    }
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("user_agent_product", &self.user_agent_product)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .field(
                "http_client",
                &self.http_client.as_ref().map(|_| "<caller's>"),
            )
            .field("rate_limit_window", &self.rate_limit_window)
            .field("rate_limit_governor", &self.rate_limit_governor)
            .field("trust", &self.trust)
            .field(
                "hooks",
                &self
                    .hooks
                    .iter()
                    .map(|hook| hook.name())
                    .collect::<Vec<_>>(),
            )
            .field(
                "token_provider",
                &self.token_provider.as_ref().map(|provider| provider.name()),
            )
            .finish()
    }
}

impl ClientBuilder {
    /// A builder with the defaults and no token.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder with the token from `KATAPULT_API_TOKEN` and, when set, the
    /// base URL from `KATAPULT_API_URL`. Fails if the token is not set.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over any source of variables.
    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let token = var(TOKEN_ENV).ok_or(ConfigError::MissingToken)?;
        let mut builder = Self::new().token(token);
        if let Some(url) = var(BASE_URL_ENV).filter(|url| !url.trim().is_empty()) {
            builder = builder.base_url(url);
        }
        Ok(builder)
    }

    /// The API token, sent as `Authorization: Bearer <token>`. Surrounding
    /// whitespace (a newline from a file) is ignored.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The API's base URL (default [`DEFAULT_BASE_URL`]). A trailing `/` is
    /// harmless. `http://` is accepted only to a loopback address.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// A product token appended to the user agent, which is otherwise
    /// `katapult-core/<version>`: `"my-app/1.2"` gives
    /// `katapult-core/0.1.0 my-app/1.2`.
    pub fn user_agent_product(mut self, product: impl Into<String>) -> Self {
        self.user_agent_product = Some(product.into());
        self
    }

    /// Time allowed to connect (default 10 s). Ignored with
    /// [`http_client`](Self::http_client): configure that client instead.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for each attempt, from sending the request to the end of
    /// the response body (default 30 s). Retries get a fresh allowance.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// When to retry (default [`RetryPolicy::default`]; [`RetryPolicy::none`]
    /// turns retries off).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The largest response body the client reads (default 8 MiB). A larger
    /// one fails the call with [`crate::ResponseProblem::TooLarge`].
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Sends through the caller's own `reqwest::Client` (its proxy, TLS and
    /// pool settings). The token, user agent, per-attempt timeout, retries
    /// and body limit still apply.
    ///
    /// Start it from [`http_client_builder`](Self::http_client_builder):
    /// with the default `rustls` feature, reqwest is built without a crypto
    /// provider of its own (this crate brings rustls with `ring` rather than
    /// compiling aws-lc), so a bare `reqwest::Client::new()` panics unless
    /// your application installs a rustls provider or enables one of
    /// reqwest's TLS features.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let http = katapult_core::ClientBuilder::http_client_builder()?
    ///     .pool_max_idle_per_host(4)
    ///     .tcp_keepalive(Duration::from_secs(30))
    ///     .build()
    ///     .expect("TLS is configured");
    /// let client = katapult_core::Client::builder().token("t").http_client(http).build()?;
    /// # let _ = client;
    /// # Ok::<(), katapult_core::Error>(())
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The length of the API's rate-limit window (default 60 s, Katapult's:
    /// the budget in `X-Ratelimit-Permitted` refills at every whole minute
    /// of the server's clock). Windows are aligned to whole multiples of
    /// this length since the Unix epoch, in the server's time (its `Date`
    /// header), so it must be a whole number of seconds, at least 1 and at
    /// most a day; `build` refuses anything else.
    ///
    /// Only worth changing against a server with another window, such as a
    /// test server with one-second windows.
    pub fn rate_limit_window(mut self, window: Duration) -> Self {
        self.rate_limit_window = window;
        self
    }

    /// Whether the client paces its requests from the server's rate-limit
    /// headers (default `true`).
    ///
    /// On, one governor is shared by every clone of the client: it learns
    /// `X-Ratelimit-Permitted`, `X-Ratelimit-Remaining` and the server's
    /// clock from every answer, counts the requests in flight, holds new
    /// requests while the window's budget is spent until the next window
    /// opens, and makes a 429 wait for that rather than back off blindly.
    /// Because the budget it reads is the server's own count, several
    /// processes or machines sharing a token converge on it without talking
    /// to each other. See the README, "Retries and rate limits".
    ///
    /// Off, every request is sent at once and a 429 backs off as the
    /// [`RetryPolicy`] says; [`Client::rate_limit_estimate`] still follows
    /// the headers.
    pub fn rate_limit_governor(mut self, on: bool) -> Self {
        self.rate_limit_governor = on;
        self
    }

    /// A `reqwest::ClientBuilder` with this crate's TLS configured (see the
    /// crate's features), for callers who build their own client: add
    /// proxies, pool settings and the like, then pass the result to
    /// [`http_client`](Self::http_client).
    ///
    /// It does not follow redirects: the API never sends one, and following
    /// it would send the request somewhere the caller did not name.
    pub fn http_client_builder() -> Result<reqwest::ClientBuilder, Error> {
        Self::http_client_builder_trusting(&crate::trust::Trust::default())
    }

    /// [`http_client_builder`](Self::http_client_builder) with the given trust.
    fn http_client_builder_trusting(
        trust: &crate::trust::Trust,
    ) -> Result<reqwest::ClientBuilder, Error> {
        let builder = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none());
        Ok(crate::tls::configure(builder, trust)?)
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let credential = match self.token_provider {
            Some(provider) => Credential::Provider(provider),
            None => Credential::Fixed(bearer(
                self.token.as_deref().ok_or(ConfigError::MissingToken)?,
            )?),
        };
        let base_url = base_url(&self.base_url)?;
        let user_agent = user_agent(self.user_agent_product.as_deref())?;
        for (name, value) in [
            ("timeout", self.timeout),
            ("connect_timeout", self.connect_timeout),
        ] {
            if value.is_zero() {
                return Err(ConfigError::InvalidSetting(format!(
                    "{name} is zero, so every request would fail at once: give it a positive duration"
                ))
                .into());
            }
        }
        if self.max_response_bytes == 0 {
            return Err(ConfigError::InvalidSetting(
                "max_response_bytes is zero, so no response could be read: give it a positive size"
                    .to_owned(),
            )
            .into());
        }
        let window = self.rate_limit_window;
        if window.is_zero() || window.subsec_nanos() != 0 || window > MAX_WINDOW {
            return Err(ConfigError::InvalidSetting(format!(
                "rate_limit_window is {window:?}: it must be a whole number of seconds from 1 s to \
                 a day, because windows are aligned to the server's Date header, which counts \
                 whole seconds (Katapult's window is 60 s, the default)"
            ))
            .into());
        }
        if base_url.scheme() == "https" && !crate::tls::AVAILABLE && self.http_client.is_none() {
            return Err(ConfigError::NoTls.into());
        }
        self.trust.check(self.http_client.is_some())?;

        let http = match self.http_client {
            Some(client) => client,
            None => Self::http_client_builder_trusting(&self.trust)?
                .connect_timeout(self.connect_timeout)
                .user_agent(user_agent.clone())
                .build()
                .map_err(|e| ConfigError::HttpClient(e.to_string()))?,
        };

        let settings = ClientSettings {
            credential,
            user_agent,
            timeout: self.timeout,
            retry: self.retry,
            max_response_bytes: self.max_response_bytes,
            governor: Arc::new(Governor::new(window, self.rate_limit_governor)),
            hooks: self.hooks.into(),
            deadline: None,
        };
        // Paths are joined by concatenation: no trailing `/`.
        Ok(Client {
            inner: Arc::new(ClientInner {
                http,
                base_url: base_url.as_str().trim_end_matches('/').to_owned(),
                settings,
            }),
        })
    }
}

/// `Bearer <token>`, marked sensitive so that HTTP/2 never indexes it and
/// `Debug` of the headers prints `Sensitive`.
pub(crate) fn bearer(token: &str) -> Result<HeaderValue, ConfigError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ConfigError::InvalidToken("is empty"));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::InvalidToken(
            "contains whitespace or control characters, which no token has",
        ));
    }
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| ConfigError::InvalidToken("holds characters an HTTP header cannot carry"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Parses and vets the base URL.
fn base_url(raw: &str) -> Result<Url, ConfigError> {
    // A query may hold a secret someone pasted into the URL; errors do not
    // repeat it.
    let shown = match raw.split_once(['?', '#']) {
        Some((before, _)) => format!("{before}?<removed>"),
        None => raw.to_owned(),
    };
    let invalid = |reason: &str| ConfigError::InvalidBaseUrl {
        url: shown.clone(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(raw.trim())
        .map_err(|error| invalid(&format!("is not a valid URL ({error})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        // Not echoed back: the credentials would end up in the message.
        return Err(ConfigError::InvalidBaseUrl {
            url: format!(
                "{}://<credentials>@{}",
                url.scheme(),
                url.host_str().unwrap_or("")
            ),
            reason: "carries credentials, which would leak into logs; pass the token with \
                     KATAPULT_API_TOKEN or ClientBuilder::token instead"
                .to_owned(),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("has a query or fragment, which a base URL cannot"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ConfigError::InsecureBaseUrl { url: shown });
        }
        other => {
            return Err(invalid(&format!(
                "uses the scheme `{other}`; only https (and http to loopback) work"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("has no host"));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

fn user_agent(product: Option<&str>) -> Result<HeaderValue, ConfigError> {
    let base = concat!("katapult-core/", env!("CARGO_PKG_VERSION"));
    match product.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(HeaderValue::from_static(base)),
        Some(product) if product.chars().all(|c| c.is_ascii_graphic() || c == ' ') => {
            HeaderValue::from_str(&format!("{base} {product}"))
                .map_err(|_| ConfigError::InvalidUserAgent(product.to_owned()))
        }
        Some(product) => Err(ConfigError::InvalidUserAgent(product.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_error(result: Result<Client, Error>) -> ConfigError {
        match result {
            Err(Error::Config(error)) => error,
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }

    #[test]
    fn env_supplies_token_and_url() {
        let vars = |name: &str| match name {
            TOKEN_ENV => Some("tok".to_owned()),
            BASE_URL_ENV => Some("http://127.0.0.1:8080/core/v1/".to_owned()),
            _ => None,
        };
        let client = ClientBuilder::from_vars(vars).unwrap().build().unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:8080/core/v1");
    }

    #[test]
    fn env_without_a_token_says_which_variable() {
        let error = ClientBuilder::from_vars(|_| None).unwrap_err();
        assert!(error.to_string().contains("KATAPULT_API_TOKEN"), "{error}");
        let default_url = ClientBuilder::from_vars(|name| (name == TOKEN_ENV).then(|| "t".into()))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(default_url.base_url(), DEFAULT_BASE_URL);
    }

    #[test]
    fn trailing_slashes_are_harmless() {
        for url in [
            "https://api.katapult.io/core/v1/",
            "https://api.katapult.io/core/v1//",
        ] {
            let client = Client::builder().token("t").base_url(url).build().unwrap();
            assert_eq!(client.base_url(), "https://api.katapult.io/core/v1");
        }
    }

    #[test]
    fn plain_http_is_refused_except_to_loopback() {
        for url in [
            "http://api.katapult.io/core/v1",
            "http://10.0.0.1",
            "http://127.evil.example",
        ] {
            let error = config_error(Client::builder().token("t").base_url(url).build());
            assert_eq!(
                error,
                ConfigError::InsecureBaseUrl {
                    url: url.to_owned()
                }
            );
            assert!(error.to_string().contains("in clear"), "{error}");
        }
        for url in [
            "http://127.0.0.1:9",
            "http://localhost:9/x",
            "http://[::1]:9",
            "http://127.1.2.3",
        ] {
            Client::builder().token("t").base_url(url).build().unwrap();
        }
    }

    #[test]
    fn malformed_urls_are_refused_with_the_fix() {
        for url in [
            "not a url",
            "ftp://example.com",
            "https://example.com/?x=1",
            "https:///",
        ] {
            let error = config_error(Client::builder().token("t").base_url(url).build());
            assert!(
                matches!(error, ConfigError::InvalidBaseUrl { .. }),
                "{url}: {error:?}"
            );
            assert!(error.to_string().contains("KATAPULT_API_URL"), "{error}");
        }
    }

    #[test]
    fn a_query_is_refused_without_being_echoed() {
        let error = config_error(
            Client::builder()
                .token("t")
                .base_url("https://api.katapult.io/core/v1?token=hunter2")
                .build(),
        );
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(
            error
                .to_string()
                .contains("https://api.katapult.io/core/v1?<removed>"),
            "{error}"
        );
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_being_echoed() {
        let error = config_error(
            Client::builder()
                .token("t")
                .base_url("https://me:hunter2@example.com")
                .build(),
        );
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(!format!("{error:?}").contains("hunter2"), "{error:?}");
    }

    #[test]
    fn bad_tokens_are_refused() {
        for token in ["", "   ", "two words", "line\nbreak"] {
            let error = config_error(Client::builder().token(token).build());
            assert!(
                matches!(error, ConfigError::InvalidToken(_)),
                "{token:?}: {error:?}"
            );
        }
        assert_eq!(
            config_error(Client::builder().build()),
            ConfigError::MissingToken
        );
        // A newline from a file is not a different token.
        Client::builder().token("tok\n").build().unwrap();
    }

    #[test]
    fn the_token_is_redacted_everywhere_debug_reaches() {
        let builder = Client::builder().token("s3cr3t-t0ken");
        assert!(!format!("{builder:?}").contains("s3cr3t"));
        let client = builder.build().unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t"));
        assert!(bearer("s3cr3t-t0ken").unwrap().is_sensitive());
    }

    #[test]
    fn user_agent_names_the_crate_and_the_product() {
        assert_eq!(
            user_agent(None).unwrap(),
            concat!("katapult-core/", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(
            user_agent(Some("my-app/1.2")).unwrap(),
            concat!("katapult-core/", env!("CARGO_PKG_VERSION"), " my-app/1.2")
        );
        assert!(user_agent(Some("bad\u{7f}")).is_err());
    }

    #[test]
    fn zero_settings_are_refused() {
        let error = config_error(Client::builder().token("t").timeout(Duration::ZERO).build());
        assert!(error.to_string().contains("timeout is zero"), "{error}");
        let error = config_error(Client::builder().token("t").max_response_bytes(0).build());
        assert!(error.to_string().contains("max_response_bytes"), "{error}");
    }

    #[test]
    fn rate_limit_windows_are_whole_seconds_up_to_a_day() {
        for window in [
            Duration::ZERO,
            Duration::from_millis(500),
            Duration::from_millis(1500),
            Duration::from_secs(86_401),
        ] {
            let error = config_error(
                Client::builder()
                    .token("t")
                    .rate_limit_window(window)
                    .build(),
            );
            assert!(
                matches!(&error, ConfigError::InvalidSetting(text) if text.contains("rate_limit_window")),
                "{window:?}: {error:?}"
            );
        }
        for window in [1, 2, 60, 86_400] {
            Client::builder()
                .token("t")
                .rate_limit_window(Duration::from_secs(window))
                .build()
                .unwrap();
        }
    }
}
