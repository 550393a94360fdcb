//! The client downstream crates hold: one method per operation, each
//! returning a [`Response`] or the one [`Error`] type.

use bytes::Bytes;
use progenitor_client::Error as GeneratedError;

use crate::config::ClientBuilder;
use crate::error::{
    ApiError, Error, ErrorBody, InvalidResponse, ResponseProblem, TransportError,
    decode_error_body, is_envelope,
};
use crate::response::{Response, ResponseMeta};
use crate::transport::{CallFacts, recorded};
use crate::{generated, types};

/// A client for Katapult's Core API v1.
///
/// Cheap to clone (clones share one connection pool); build one and reuse it.
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
///         annotations: vec![],
///     })
///     .await?;
/// println!("renamed to {:?}", response.disk.name);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: generated::Client,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("transport", &self.inner.inner)
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
        &self.inner.baseurl
    }

    /// `PATCH /disks/disk`: updates the properties of a disk (OAuth2 scope
    /// `disks`). Only the fields set in `body.properties` are sent.
    ///
    /// Retries 429, 503 and failed connections under the client's
    /// [`RetryPolicy`](crate::RetryPolicy); the rate-limit headers of the
    /// answer are in [`Response::meta`] (or the error's) either way.
    pub async fn update_disk(
        &self,
        body: types::UpdateDiskBody,
    ) -> Result<Response<types::UpdateDiskResponse>, Error> {
        let (result, mut facts) = recorded(self.inner.update_disk().body(body).send()).await;
        match result {
            Ok(value) => {
                // The transport kept the last response's headers; they are
                // these (progenitor's copy is only borrowed).
                let headers = match facts.last.take() {
                    Some((_, headers)) => headers,
                    None => value.headers().clone(),
                };
                let meta = meta(value.status(), headers, &facts);
                Ok(Response {
                    value: value.into_inner(),
                    meta,
                    raw: facts.body,
                })
            }
            Err(error) => Err(into_error(error, facts).await),
        }
    }
}

fn meta(
    status: reqwest::StatusCode,
    headers: reqwest::header::HeaderMap,
    facts: &CallFacts,
) -> ResponseMeta {
    ResponseMeta {
        status,
        headers,
        attempts: facts.attempts.max(1),
        elapsed: facts.elapsed,
    }
}

/// Maps what the generated code returns onto [`Error`], using what the
/// hooks recorded for the cases progenitor's error does not carry (the
/// status behind an undecodable body, attempts, the size limit).
async fn into_error(error: GeneratedError<types::ErrorEnvelope>, mut facts: CallFacts) -> Error {
    // The last response as the transport recorded it; progenitor's error
    // carries it only on some paths.
    let last = facts
        .last
        .take()
        .map(|(status, headers)| meta(status, headers, &facts));

    if let Some(limit) = facts.too_large
        && let Some(meta) = last
    {
        return invalid(meta, ResponseProblem::TooLarge { limit }, Bytes::new());
    }

    match error {
        GeneratedError::ErrorResponse(value) => {
            let meta =
                last.unwrap_or_else(|| meta(value.status(), value.headers().clone(), &facts));
            // The generated decoder also takes a JSON array for the envelope.
            let body = if is_envelope(&facts.body) {
                ErrorBody::Known(value.into_inner().error)
            } else {
                decode_error_body(&facts.body)
            };
            Error::Api(Box::new(ApiError::new(meta, body)))
        }
        GeneratedError::InvalidResponsePayload(body, source) => match last {
            // A documented error status whose body is not the typed
            // envelope: an unknown code, or a proxy's page.
            Some(meta) if meta.status.is_client_error() || meta.status.is_server_error() => {
                let decoded = decode_error_body(&body);
                Error::Api(Box::new(ApiError::new(meta, decoded)))
            }
            Some(meta) => invalid(meta, ResponseProblem::Undecodable(source), body),
            None => Error::InvalidRequest(format!(
                "a response arrived but was not recorded ({source}); this is a bug in katapult-core"
            )),
        },
        GeneratedError::UnexpectedResponse(response) => {
            let meta =
                last.unwrap_or_else(|| meta(response.status(), response.headers().clone(), &facts));
            // The body was read into memory by the transport; this cannot wait.
            let body = response.bytes().await.unwrap_or_default();
            if meta.status.is_client_error() || meta.status.is_server_error() {
                Error::Api(Box::new(ApiError::new(meta, decode_error_body(&body))))
            } else {
                invalid(meta, ResponseProblem::UnexpectedStatus, body)
            }
        }
        GeneratedError::CommunicationError(source)
        | GeneratedError::ResponseBodyError(source)
        | GeneratedError::InvalidUpgrade(source) => Error::Transport(TransportError {
            kind: TransportError::classify(&source),
            url: facts
                .url
                .take()
                .or_else(|| source.url().map(ToString::to_string))
                .unwrap_or_else(|| "the API".to_owned()),
            attempts: facts.attempts.max(1),
            elapsed: facts.elapsed,
            timeout: facts.timeout,
            source,
        }),
        GeneratedError::InvalidRequest(message) => Error::InvalidRequest(message),
        GeneratedError::Custom(message) => {
            Error::InvalidRequest(format!("{message}; this is a bug in katapult-core"))
        }
    }
}

fn invalid(meta: ResponseMeta, problem: ResponseProblem, body: Bytes) -> Error {
    Error::InvalidResponse(Box::new(InvalidResponse {
        meta,
        problem,
        body,
    }))
}
