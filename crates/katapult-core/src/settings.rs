//! What the call path reads on every request, built once by
//! [`crate::ClientBuilder::build`] and shared by a client's clones.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::governor::Governor;
use crate::retry::RetryPolicy;

/// The per-request settings of one client, cloned into each of its clones;
/// what they must share (the rate-limit governor) sits behind an `Arc`.
#[derive(Clone)]
pub(crate) struct ClientSettings {
    /// `Bearer <token>`, marked sensitive.
    pub(crate) authorization: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    /// Per attempt, from sending to the end of the body.
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    /// One per client built, shared by every clone.
    pub(crate) governor: Arc<Governor>,
}

impl std::fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSettings")
            .field("authorization", &"Bearer <redacted>")
            .field("user_agent", &self.user_agent)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("governor", &self.governor)
            .finish()
    }
}
