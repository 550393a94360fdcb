//! What the call path reads on every request, built once by
//! [`crate::ClientBuilder::build`] and shared by a client's clones.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::governor::Governor;
use crate::hooks::Hooks;
use crate::options::CallDeadline;
use crate::retry::RetryPolicy;
use crate::token::Credential;

/// The per-request settings of one client, shared by its clones, and copied
/// into a view ([`crate::Client::with_options`]) with its overrides; what
/// views must share (the rate-limit governor, the hooks) sits behind an
/// `Arc`.
#[derive(Clone)]
pub(crate) struct ClientSettings {
    /// `Bearer <token>`, marked sensitive, or the provider that gives it.
    pub(crate) credential: Credential,
    pub(crate) user_agent: HeaderValue,
    /// Per attempt, from sending to the end of the body.
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    /// One per client built, shared by every clone.
    pub(crate) governor: Arc<Governor>,
    /// Called on every attempt, in order; empty unless installed.
    pub(crate) hooks: Hooks,
    /// The hard deadline of each call, when a view set one.
    pub(crate) deadline: Option<CallDeadline>,
}

impl std::fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSettings")
            .field("authorization", &self.credential)
            .field("user_agent", &self.user_agent)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("governor", &self.governor)
            .field(
                "hooks",
                &self
                    .hooks
                    .iter()
                    .map(|hook| hook.name())
                    .collect::<Vec<_>>(),
            )
            .field("deadline", &self.deadline)
            .finish()
    }
}
