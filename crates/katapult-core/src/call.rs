//! The one path every operation takes: run the generated call with a fresh
//! [`CallRecord`] for the attempt loop to fill in, then turn the generated
//! result and the record into a [`Response`] or the one [`Error`].
//!
//! Why a task-local: progenitor's hooks see the request and the client,
//! never the call that made them, and what comes back from the generated
//! call (`ResponseValue` or `progenitor_client::Error`) keeps at most the
//! status and headers of the last response. Attempts, elapsed time, the
//! body as read, the size limit and a refusal by the rate-limit governor
//! would be lost on the way; the record is how they travel back. Nothing
//! else passes through it.

use std::cell::RefCell;
use std::pin::pin;
use std::time::Duration;

use bytes::Bytes;
use progenitor_client::{Error as GeneratedError, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::api_error::ApiError;
use crate::error::{Error, InvalidResponse, NetworkError, RateLimited, ResponseProblem};
use crate::response::{Response, ResponseMeta};
use crate::types;

/// What the attempt loop learnt about one call.
#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    pub(crate) attempts: u32,
    /// From the first attempt to the end of the last, waits included.
    pub(crate) elapsed: Duration,
    /// The per-attempt timeout in force.
    pub(crate) timeout: Duration,
    /// The last response, its body read into memory.
    pub(crate) response: Option<RecordedResponse>,
    /// The URL of a request that got no complete response.
    pub(crate) url: Option<String>,
    /// The rate-limit governor failed the call: it would have had to hold
    /// it past its deadline. Comes first: the loop then returns a stand-in
    /// response that means nothing.
    pub(crate) refused: Option<RateLimited>,
}

/// The last response of a call, as the attempt loop read it.
#[derive(Debug)]
pub(crate) struct RecordedResponse {
    pub(crate) status: StatusCode,
    /// Moved here from the response: progenitor reads only the status and
    /// the body, so the headers are not copied.
    pub(crate) headers: HeaderMap,
    /// Empty when the body was over the limit.
    pub(crate) body: Bytes,
    /// The limit the body exceeded, if it did.
    pub(crate) too_large: Option<usize>,
}

tokio::task_local! {
    // Boxed: the value is swapped in and out of the thread-local on every
    // poll, and a pointer is cheaper to move than the record itself.
    static RECORD: Box<RefCell<CallRecord>>;
}

/// Lets the attempt loop write into the record of the call being polled.
/// Outside [`call`] there is no record and nothing to lose; the loop never
/// nests, so the cell is never already borrowed.
pub(crate) fn record(f: impl FnOnce(&mut CallRecord)) {
    let _ = RECORD.try_with(|record| {
        if let Ok(mut record) = record.try_borrow_mut() {
            f(&mut record);
        }
    });
}

/// The generated call of one operation, as its builder's `send()` returns it.
pub(crate) type Generated<T> = Result<ResponseValue<T>, GeneratedError<types::ErrorEnvelope>>;

/// Runs one generated call and maps its result onto the crate's types. Every
/// operation goes through here, unchanged.
pub(crate) async fn call<T>(
    operation: impl Future<Output = Generated<T>>,
) -> Result<Response<T>, Error> {
    let mut scoped = pin!(RECORD.scope(Box::default(), operation));
    let result = scoped.as_mut().await;
    let record = scoped
        .as_mut()
        .take_value()
        .map(|record| record.into_inner())
        .unwrap_or_default();
    outcome(result, record)
}

fn outcome<T>(result: Generated<T>, mut record: CallRecord) -> Result<Response<T>, Error> {
    let response = record.response.take();
    if let Some(mut refused) = record.refused.take() {
        // The answer to the last request sent, if any; its body was not read.
        refused.meta = response.map(|response| ResponseMeta {
            status: response.status,
            headers: response.headers,
            attempts: record.attempts,
            elapsed: record.elapsed,
        });
        return Err(Error::RateLimited(Box::new(refused)));
    }
    let meta = |response: &RecordedResponse, headers: HeaderMap| ResponseMeta {
        status: response.status,
        headers,
        attempts: record.attempts.max(1),
        elapsed: record.elapsed,
    };

    let (typed_error, decode_error) = match result {
        Ok(value) => {
            let Some(mut response) = response else {
                return Err(Error::internal(
                    "the response was decoded but the attempt loop recorded none",
                    true,
                ));
            };
            let headers = std::mem::take(&mut response.headers);
            return Ok(Response {
                meta: meta(&response, headers),
                value: value.into_inner(),
                raw: response.body,
            });
        }
        Err(
            GeneratedError::CommunicationError(source) | GeneratedError::ResponseBodyError(source),
        ) => {
            return Err(Error::Network(NetworkError::new(source, &mut record)));
        }
        Err(GeneratedError::InvalidRequest(message)) => return Err(Error::InvalidRequest(message)),
        Err(GeneratedError::InvalidUpgrade(source)) => {
            return Err(Error::internal(
                &format!("the generated code asked for a protocol upgrade ({source})"),
                true,
            ));
        }
        Err(GeneratedError::Custom(message)) => {
            // No hook of this crate returns one.
            return Err(Error::internal(&message, response.is_some()));
        }
        Err(GeneratedError::ErrorResponse(value)) => (Some(value.into_inner()), None),
        Err(GeneratedError::InvalidResponsePayload(_, error)) => (None, Some(error)),
        Err(GeneratedError::UnexpectedResponse(_)) => (None, None),
    };

    // A response arrived; the record holds it (progenitor's copy of the body
    // is the same shared buffer).
    let Some(mut response) = response else {
        return Err(Error::internal(
            "a response arrived but the attempt loop did not record it",
            true,
        ));
    };
    let headers = std::mem::take(&mut response.headers);
    let meta = meta(&response, headers);
    if let Some(limit) = response.too_large {
        return Err(invalid(
            meta,
            ResponseProblem::TooLarge { limit },
            Bytes::new(),
        ));
    }
    if response.status.is_client_error() || response.status.is_server_error() {
        let typed = typed_error.map(|envelope| envelope.error);
        return Err(Error::Api(Box::new(ApiError::from_body(
            meta,
            typed,
            &response.body,
        ))));
    }
    let problem = match decode_error {
        Some(error) => ResponseProblem::Undecodable(error),
        None => ResponseProblem::UnexpectedStatus,
    };
    Err(invalid(meta, problem, response.body))
}

fn invalid(meta: ResponseMeta, problem: ResponseProblem, body: Bytes) -> Error {
    Error::InvalidResponse(Box::new(InvalidResponse {
        meta,
        problem,
        body,
    }))
}
