//! The seam between progenitor's generated request plumbing and the
//! hand-written layer: progenitor calls these hooks around every request it
//! builds (`HooksMode::Expected` in `xtask/src/codegen` makes leaving them out
//! a compile error).
//!
//! - `pre` adds the bearer token (marked sensitive), the user agent and the
//!   per-attempt timeout;
//! - `exec` hands the request to [`crate::attempts`], which sends it under the
//!   retry policy and reads the body into memory.
//!
//! There is no `post` hook: an over-limit body is recorded by the attempt
//! loop and reported by [`crate::call`], which looks at the record first.

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::Request;
use reqwest::header::{AUTHORIZATION, USER_AGENT};

use crate::generated;
use crate::settings::ClientSettings;

impl ClientHooks<ClientSettings> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let settings = self.inner();
        let headers = request.headers_mut();
        headers.insert(AUTHORIZATION, settings.authorization.clone());
        headers.insert(USER_AGENT, settings.user_agent.clone());
        // Per request rather than on the reqwest client, so it also holds
        // for a client the caller built.
        *request.timeout_mut() = Some(settings.timeout);
        Ok(())
    }

    async fn exec(
        &self,
        request: Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        crate::attempts::send(self.inner(), self.client(), request, info).await
    }
}
