//! The client downstream crates hold. Its methods per operation are
//! generated (`generated_methods.rs`: each operation's method calls
//! `Client::call`, its `prepare_` twin `Client::prepare`); here are its
//! construction and what is not an operation.

use std::sync::Arc;

use crate::config::ClientBuilder;
use crate::error::Error;
use crate::response::RateLimit;
use crate::settings::ClientSettings;

/// A client for Katapult's Core API v1.
///
/// Cheap to clone: a client is one `Arc`, so a clone is one reference-count
/// increment, and clones share one connection pool and one rate-limit
/// governor; build one and reuse it.
///
/// ```no_run
/// use katapult_core::Client;
/// use katapult_core::types::{DiskArguments, DiskLookup, UpdateDiskBody};
///
/// # async fn run() -> Result<(), katapult_core::Error> {
/// let client = Client::from_env()?; // KATAPULT_API_TOKEN, optionally KATAPULT_API_URL
/// let response = client
///     .update_disk(UpdateDiskBody {
///         disk: DiskLookup { id: "disk_Xb0t6tHBeFhcc0vZ".into() },
///         properties: DiskArguments { name: Some("database".into()), ..Default::default() },
///         annotations: None,
///     })
///     .await?;
/// println!("renamed to {:?}", response.disk.name);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    /// Everything, behind one pointer: cloning a client (every task of a
    /// bulk run holds one) costs one reference-count increment.
    pub(crate) inner: Arc<ClientInner>,
}

/// What a [`Client`] holds.
#[derive(Clone)]
pub(crate) struct ClientInner {
    pub(crate) http: reqwest::Client,
    /// Without a trailing `/`: paths start with one.
    pub(crate) base_url: String,
    /// `base_url` parsed once, when the client was built: each request
    /// appends its operation's path to a copy instead of parsing the joined
    /// text again.
    pub(crate) base: reqwest::Url,
    pub(crate) settings: ClientSettings,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from `KATAPULT_API_TOKEN` and, when set,
    /// `KATAPULT_API_URL`, with every other setting at its default.
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// The base URL requests go to, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The `User-Agent` every request of this client carries:
    /// `katapult-core/<version>`, then the product given to
    /// [`ClientBuilder::user_agent_product`], if any.
    ///
    /// ```
    /// let client = katapult_core::Client::builder()
    ///     .token("t")
    ///     .user_agent_product("disk-janitor/1.4")
    ///     .build()?;
    /// assert!(client.user_agent().ends_with(" disk-janitor/1.4"));
    /// # Ok::<(), katapult_core::Error>(())
    /// ```
    pub fn user_agent(&self) -> &str {
        // Built by the builder from visible ASCII only, so always text.
        self.inner.settings.user_agent.to_str().unwrap_or_default()
    }

    /// The rate-limit governor's estimate of the budget, shared by this
    /// client and its clones: `Permitted`, and what is left of the current
    /// window (the lowest `Remaining` answered in it, less what was sent
    /// since when nothing newer is known; all of it once the window has
    /// rolled over). `None` before any answer carried a rate-limit header.
    /// One answer's own headers are [`ResponseMeta::rate_limit`](crate::ResponseMeta::rate_limit).
    pub fn rate_limit_estimate(&self) -> Option<RateLimit> {
        self.inner.settings.governor.estimate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_is_one_reference_count_increment() {
        let client = Client::builder().token("t").build().unwrap();
        assert_eq!(std::mem::size_of::<Client>(), std::mem::size_of::<usize>());
        assert_eq!(Arc::strong_count(&client.inner), 1);
        let clone = client.clone();
        assert!(Arc::ptr_eq(&client.inner, &clone.inner), "nothing copied");
        assert_eq!(Arc::strong_count(&client.inner), 2);
        drop(clone);
        assert_eq!(Arc::strong_count(&client.inner), 1);
    }

    #[test]
    fn a_view_shares_the_governor_and_the_hooks() {
        let client = Client::builder().token("t").build().unwrap();
        let view = client
            .with_options(crate::CallOptions::new().deadline(std::time::Duration::from_secs(1)));
        assert!(Arc::ptr_eq(
            &client.inner.settings.governor,
            &view.inner.settings.governor
        ));
        assert!(Arc::ptr_eq(
            &client.inner.settings.hooks,
            &view.inner.settings.hooks
        ));
        assert!(client.inner.settings.deadline.is_none());
        assert!(view.inner.settings.deadline.is_some());
    }
}
