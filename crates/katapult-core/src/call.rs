//! The one path every operation takes: build the request from the
//! operation as the fragment describes it (the generated methods name it),
//! send it through the attempt loop, and turn what came back into a
//! [`Response`] or the one [`Error`]. Each body is decoded once, here.

use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api_error::ApiError;
use crate::attempts::{self, Answer, Ending, Sent};
use crate::client::Client;
use crate::error::{Error, InvalidResponse, NetworkError, ResponseProblem};
use crate::response::{Response, ResponseMeta};

/// One operation of the fragment, as `cargo xtask codegen` writes it into
/// the generated methods.
#[derive(Debug)]
pub(crate) struct Operation {
    /// Its Rust name (`x-rust-name`), as traces show it.
    pub(crate) id: &'static str,
    pub(crate) method: Method,
    /// Joined to the base URL.
    pub(crate) path: &'static str,
    /// The statuses whose body is the documented success body.
    pub(crate) success: &'static [u16],
    /// The fragment's `info.version`, sent as `api-version` as progenitor's
    /// generated clients send it (the API ignores it; kept so the wire does
    /// not change with the call path).
    pub(crate) api_version: &'static str,
}

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const API_VERSION: HeaderName = HeaderName::from_static("api-version");

impl Client {
    /// Sends `body` as `operation`'s JSON request body and decodes the
    /// answer: `T` for a documented success, else the one [`Error`].
    pub(crate) async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        operation: &Operation,
        body: &B,
    ) -> Result<Response<T>, Error> {
        let body = Bytes::from(serde_json::to_vec(body).map_err(|error| {
            Error::InvalidRequest(format!("the body cannot be written as JSON: {error}"))
        })?);
        let request = self.request(operation, body.clone())?;
        // A retry builds the request again from the same parts, so a call
        // answered at once copies nothing for retries it never makes.
        let again = || self.request(operation, body.clone()).ok();
        let sent = attempts::send(&self.settings, &self.http, request, again, operation.id).await;
        outcome(operation, sent, self.settings.timeout)
    }

    /// The request for `operation` with `body` (JSON; shared, not copied).
    fn request(&self, operation: &Operation, body: Bytes) -> Result<reqwest::Request, Error> {
        let url = Url::parse(&format!("{}{}", self.base_url, operation.path)).map_err(|error| {
            // The builder checked the base URL and the path is the
            // fragment's: this cannot fail.
            Error::internal(&format!("the request URL does not parse: {error}"), false)
        })?;
        let mut request = reqwest::Request::new(operation.method.clone(), url);
        let headers = request.headers_mut();
        headers.insert(ACCEPT, JSON);
        headers.insert(CONTENT_TYPE, JSON);
        headers.insert(API_VERSION, HeaderValue::from_static(operation.api_version));
        headers.insert(AUTHORIZATION, self.settings.authorization.clone());
        headers.insert(USER_AGENT, self.settings.user_agent.clone());
        // Per request rather than on the reqwest client, so it also holds
        // for a client the caller built.
        *request.timeout_mut() = Some(self.settings.timeout);
        *request.body_mut() = Some(body.into());
        Ok(request)
    }
}

fn outcome<T: DeserializeOwned>(
    operation: &Operation,
    sent: Sent,
    timeout: std::time::Duration,
) -> Result<Response<T>, Error> {
    let Sent {
        attempts,
        elapsed,
        ending,
    } = sent;
    let answer = match ending {
        Ending::Answered(answer) => answer,
        Ending::Failed { error, url } => {
            return Err(Error::Network(NetworkError::new(
                error, url, attempts, elapsed, timeout,
            )));
        }
        Ending::Refused {
            mut refused,
            previous,
        } => {
            // The answer to the last request sent, if any; its body was not read.
            refused.meta = previous.map(|(status, headers)| ResponseMeta {
                status,
                headers,
                attempts,
                elapsed,
            });
            return Err(Error::RateLimited(Box::new(refused)));
        }
    };
    let Answer {
        status,
        headers,
        body,
        too_large,
    } = answer;
    let meta = ResponseMeta {
        status,
        headers,
        attempts: attempts.max(1),
        elapsed,
    };
    if let Some(limit) = too_large {
        return Err(invalid(
            meta,
            ResponseProblem::TooLarge { limit },
            Bytes::new(),
        ));
    }
    if operation.success.contains(&status.as_u16()) {
        return match serde_json::from_slice::<T>(&body) {
            Ok(value) => Ok(Response {
                value,
                meta,
                raw: body,
            }),
            Err(error) => Err(invalid(meta, ResponseProblem::Undecodable(error), body)),
        };
    }
    if is_error(status) {
        return Err(Error::Api(Box::new(ApiError::from_body(meta, &body))));
    }
    Err(invalid(meta, ResponseProblem::UnexpectedStatus, body))
}

fn is_error(status: StatusCode) -> bool {
    status.is_client_error() || status.is_server_error()
}

fn invalid(meta: ResponseMeta, problem: ResponseProblem, body: Bytes) -> Error {
    Error::InvalidResponse(Box::new(InvalidResponse {
        meta,
        problem,
        body,
    }))
}
