//! Building a [`Client`]: token, base URL, user agent, timeouts, retries.
//! The checks that refuse an unsafe or malformed configuration before
//! anything is sent are in `config/checks.rs`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::Client;
use crate::client::ClientInner;
use crate::error::{ConfigError, Error};
use crate::governor::{DEFAULT_WINDOW, Governor, Pool};
use crate::hooks::Hook;
use crate::retry::RetryPolicy;
use crate::settings::ClientSettings;
use crate::token::{Credential, TokenProvider};

mod checks;

pub(crate) use checks::bearer;
use checks::{base_url, user_agent};

/// Katapult's Core API v1.
pub const DEFAULT_BASE_URL: &str = "https://api.katapult.io/core/v1";
/// Environment variable holding the API token.
pub const TOKEN_ENV: &str = "KATAPULT_API_TOKEN";
/// Environment variable overriding the base URL.
pub const BASE_URL_ENV: &str = "KATAPULT_API_URL";
/// Environment variable naming a rate-limit pool file
/// ([`ClientBuilder::rate_limit_pool`]), read by
/// [`ClientBuilder::from_env`], [`ClientBuilder::from_config`] and
/// [`ClientBuilder::from_profile`]: set it once for every process of a job
/// that shares a token.
pub const RATE_LIMIT_POOL_ENV: &str = "KATAPULT_RATE_LIMIT_POOL";

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
    rate_limit_pool: Option<PathBuf>,
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
            rate_limit_pool: None,
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
            .field("rate_limit_pool", &self.rate_limit_pool)
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
    /// base URL from `KATAPULT_API_URL` and the rate-limit pool file from
    /// `KATAPULT_RATE_LIMIT_POOL`. Fails if the token is not set.
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
        Ok(builder.rate_limit_pool_from(var(RATE_LIMIT_POOL_ENV)))
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
    /// to each other, at the cost of a few refusals a window; processes on
    /// one machine can share a [`rate_limit_pool`](Self::rate_limit_pool)
    /// file instead. See the README, "Retries and rate limits".
    ///
    /// Off, every request is sent at once and a 429 backs off as the
    /// [`RetryPolicy`] says; [`Client::rate_limit_estimate`] still follows
    /// the headers.
    pub fn rate_limit_governor(mut self, on: bool) -> Self {
        self.rate_limit_governor = on;
        self
    }

    /// Paces this client together with the other processes on this machine
    /// that use the same token and the same pool file (default: none).
    ///
    /// Without a pool, clients sharing a token still converge on its budget
    /// from the server's count, but each count leaves out what the others
    /// have in flight, so together they are refused a few requests in most
    /// windows. With one, the window's accounting lives in the file at
    /// `path` (created if missing; a few hundred bytes, no secrets). Each
    /// governor locks it, with the operating system's advisory lock, for
    /// the microseconds of each decision and answer, so the processes pace
    /// as one client does: at most about one refusal a window.
    ///
    /// Give each token its own file, and the same window length to every
    /// process using it. `build` fails if the file cannot be opened for
    /// reading and writing, or holds anything but a pool record: an
    /// existing file is never overwritten. A file that later cannot be
    /// locked, read or written is logged once, and this client then paces
    /// on its own view: the pool never stops a request. Machines do not
    /// share a pool: use a token per machine, or accept the few refusals.
    /// With the governor off ([`rate_limit_governor`](Self::rate_limit_governor)),
    /// there is nothing to pool and the file is not opened.
    ///
    /// ```no_run
    /// let client = katapult_core::Client::builder()
    ///     .token("my-api-token")
    ///     .rate_limit_pool("/run/katapult/disk-janitor.pool")
    ///     .build()?;
    /// # Ok::<(), katapult_core::Error>(())
    /// ```
    pub fn rate_limit_pool(mut self, path: impl Into<PathBuf>) -> Self {
        self.rate_limit_pool = Some(path.into());
        self
    }

    /// The pool file `KATAPULT_RATE_LIMIT_POOL` names, if it names one.
    pub(crate) fn rate_limit_pool_from(self, var: Option<String>) -> Self {
        match var.filter(|path| !path.trim().is_empty()) {
            Some(path) => self.rate_limit_pool(path),
            None => self,
        }
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
        checks::settings(
            self.timeout,
            self.connect_timeout,
            self.max_response_bytes,
            self.rate_limit_window,
        )?;
        let window = self.rate_limit_window;
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

        let pool = match (&self.rate_limit_pool, self.rate_limit_governor) {
            (Some(path), true) => Some(Pool::open(path, window.as_secs()).map_err(|error| {
                ConfigError::RateLimitPool {
                    path: path.clone(),
                    reason: error.to_string(),
                }
            })?),
            _ => None,
        };
        let settings = ClientSettings {
            credential,
            user_agent,
            timeout: self.timeout,
            retry: self.retry,
            max_response_bytes: self.max_response_bytes,
            governor: Arc::new(Governor::new(window, self.rate_limit_governor, pool)),
            hooks: self.hooks.into(),
            deadline: None,
        };
        // Paths are joined by concatenation: no trailing `/`.
        let base_url = base_url.as_str().trim_end_matches('/').to_owned();
        // Parsed again without the trailing `/`, so a path appended to it
        // gives the URL the joined text would parse to.
        let base = reqwest::Url::parse(&base_url).map_err(|error| {
            // It parsed with the `/`: this cannot fail.
            Error::internal(&format!("the base URL does not parse: {error}"), false)
        })?;
        Ok(Client {
            inner: Arc::new(ClientInner {
                http,
                base_url,
                base,
                settings,
            }),
        })
    }
}
