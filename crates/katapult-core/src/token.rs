//! Where the token of each attempt comes from: a fixed string
//! ([`ClientBuilder::token`], the simple case), or a [`TokenProvider`]
//! asked before every attempt, for tokens that rotate or live in a secret
//! store.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use reqwest::header::HeaderValue;

use crate::config::{ClientBuilder, bearer};
use crate::error::ConfigError;

/// What a [`TokenProvider`] answers: the token, or why there is none.
pub type TokenResult = Result<String, Box<dyn std::error::Error + Send + Sync>>;

/// The future [`TokenProvider::token`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = TokenResult> + Send + 'a>>;

/// Gives the API token for each attempt, for tokens that rotate or come
/// from a secret store: installed with [`ClientBuilder::token_provider`],
/// it is asked before every attempt, retries included, once the rate-limit
/// governor has let the attempt go. Cache in the provider what is slow to
/// fetch.
///
/// A provider that fails, or answers something that is not a token, fails
/// the call with [`ConfigError::TokenProvider`] naming the provider, and
/// the attempt is not sent (on a retry, the error's `sent` counts those
/// that were). The token is sent as a sensitive header and never
/// enters a `Debug`, an error or a trace.
///
/// [`token_provider_fn`] makes one from a closure; implement the trait for
/// a provider that must await (an HTTP call to a secret store):
///
/// ```
/// use std::sync::{Arc, RwLock};
/// use katapult_core::{Client, TokenFuture, TokenProvider};
///
/// /// A token another task rotates.
/// struct Rotating(Arc<RwLock<String>>);
///
/// impl TokenProvider for Rotating {
///     fn name(&self) -> &str {
///         "rotating"
///     }
///
///     fn token(&self) -> TokenFuture<'_> {
///         Box::pin(async move { Ok(self.0.read().unwrap().clone()) })
///     }
/// }
///
/// let current = Arc::new(RwLock::new("first-token".to_owned()));
/// let client = Client::builder().token_provider(Rotating(current.clone())).build()?;
/// *current.write().unwrap() = "second-token".to_owned(); // the next attempt sends this
/// # let _ = client;
/// # Ok::<(), katapult_core::Error>(())
/// ```
pub trait TokenProvider: Send + Sync + 'static {
    /// The name an error names the provider by (default: its type's name).
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }

    /// The token for the next attempt, without `Bearer `.
    fn token(&self) -> TokenFuture<'_>;
}

/// A [`TokenProvider`] named `name` that calls `token` for each attempt.
///
/// ```
/// use katapult_core::{Client, token_provider_fn};
///
/// let client = Client::builder()
///     .token_provider(token_provider_fn("token file", || {
///         Ok(std::fs::read_to_string("/run/secrets/katapult-token")?)
///     }))
///     .build()?;
/// # let _ = client;
/// # Ok::<(), katapult_core::Error>(())
/// ```
pub fn token_provider_fn<F>(name: impl Into<String>, token: F) -> impl TokenProvider
where
    F: Fn() -> TokenResult + Send + Sync + 'static,
{
    FnProvider {
        name: name.into(),
        token,
    }
}

struct FnProvider<F> {
    name: String,
    token: F,
}

impl<F> TokenProvider for FnProvider<F>
where
    F: Fn() -> TokenResult + Send + Sync + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn token(&self) -> TokenFuture<'_> {
        let token = (self.token)();
        Box::pin(std::future::ready(token))
    }
}

impl ClientBuilder {
    /// Asks `provider` for the token before every attempt, instead of
    /// sending a fixed one; see [`TokenProvider`]. It replaces a token
    /// given to [`token`](Self::token) (or from `KATAPULT_API_TOKEN`).
    pub fn token_provider(mut self, provider: impl TokenProvider) -> Self {
        self.token_provider = Some(Arc::new(provider));
        self
    }
}

/// Where a client's `Authorization` comes from.
#[derive(Clone)]
pub(crate) enum Credential {
    /// `Bearer <token>`, built and checked once, marked sensitive.
    Fixed(HeaderValue),
    /// Asked for each attempt.
    Provider(Arc<dyn TokenProvider>),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(_) => f.write_str("\"Bearer <redacted>\""),
            Self::Provider(provider) => write!(f, "TokenProvider({:?})", provider.name()),
        }
    }
}

/// What a request built without asking the provider carries (a
/// [`crate::PreparedRequest`] shows it redacted either way).
const NOT_ASKED: HeaderValue = HeaderValue::from_static("Bearer <from the token provider>");

impl Credential {
    /// The header as it stands without asking a provider: what
    /// [`crate::Client::prepare`] builds with.
    pub(crate) fn without_asking(&self) -> HeaderValue {
        match self {
            Self::Fixed(value) => value.clone(),
            Self::Provider(_) => NOT_ASKED,
        }
    }

    /// The header for one attempt: the provider asked, its answer checked.
    pub(crate) async fn for_attempt(&self) -> Result<HeaderValue, ConfigError> {
        let provider = match self {
            Self::Fixed(value) => return Ok(value.clone()),
            Self::Provider(provider) => provider,
        };
        let failed = |reason: String| ConfigError::TokenProvider {
            provider: provider.name().to_owned(),
            reason,
            sent: 0,
        };
        let token = provider
            .token()
            .await
            .map_err(|error| failed(format!("it failed: {error}")))?;
        bearer(&token).map_err(|error| match error {
            ConfigError::InvalidToken(why) => failed(format!("the token it gave {why}")),
            other => failed(other.to_string()),
        })
    }
}
