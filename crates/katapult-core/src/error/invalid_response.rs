//! [`InvalidResponse`]: a response arrived but cannot be used (a body that
//! is not the documented JSON, one over the size limit, an undocumented
//! status).

use std::fmt;

use bytes::Bytes;

use crate::response::ResponseMeta;

/// A response that arrived but cannot be used.
#[derive(Debug)]
pub struct InvalidResponse {
    pub(crate) meta: ResponseMeta,
    pub(crate) problem: ResponseProblem,
    pub(crate) body: Bytes,
}

/// What is wrong with an [`InvalidResponse`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ResponseProblem {
    /// The body is not the documented JSON (wrong shape, truncated, not JSON).
    Undecodable(serde_json::Error),
    /// The body exceeded the client's limit and was not read past it.
    TooLarge {
        /// The limit in bytes ([`crate::ClientBuilder::max_response_bytes`]).
        limit: usize,
    },
    /// A status this operation does not document, and not an error status.
    UnexpectedStatus,
}

impl InvalidResponse {
    /// Status, request id, rate limit and attempts of the exchange.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    /// What is wrong.
    pub fn problem(&self) -> &ResponseProblem {
        &self.problem
    }

    /// The raw body as received; empty for [`ResponseProblem::TooLarge`],
    /// whose body is not kept.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

impl fmt::Display for InvalidResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.meta.status.as_u16();
        let request = self
            .meta
            .request_id()
            .map(|id| format!(" (request {id})"))
            .unwrap_or_default();
        let applied = if self.meta.status.is_success() {
            "; the update was probably applied: fetch the disk to see its state"
        } else {
            ""
        };
        match &self.problem {
            ResponseProblem::Undecodable(error) => write!(
                f,
                "the {status} response body is not the documented JSON ({error}; {} bytes of {}){request}{applied}",
                self.body.len(),
                self.meta.content_type().unwrap_or("no content type"),
            ),
            ResponseProblem::TooLarge { limit } => write!(
                f,
                "the {status} response body exceeded the client's {limit}-byte limit and was not \
                 read further{request}{applied}; raise ClientBuilder::max_response_bytes if such \
                 bodies are expected"
            ),
            ResponseProblem::UnexpectedStatus => write!(
                f,
                "the API answered {status}, which this operation does not document{request}{applied}"
            ),
        }
    }
}

impl std::error::Error for InvalidResponse {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            ResponseProblem::Undecodable(source) => Some(source),
            _ => None,
        }
    }
}
