//! The checks [`ClientBuilder::build`](super::ClientBuilder::build) makes
//! before anything is sent: the token, the base URL (https, or http only to
//! loopback; no credentials or query), the user agent, and the settings
//! that would make every request fail. Each refusal names the setting and
//! the fix.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::error::ConfigError;
use crate::governor::MAX_WINDOW;

/// Refuses a zero timeout or body limit, and a rate-limit window the
/// governor cannot align to the server's clock.
pub(super) fn settings(
    timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: usize,
    window: Duration,
) -> Result<(), ConfigError> {
    for (name, value) in [("timeout", timeout), ("connect_timeout", connect_timeout)] {
        if value.is_zero() {
            return Err(ConfigError::InvalidSetting(format!(
                "{name} is zero, so every request would fail at once: give it a positive duration"
            )));
        }
    }
    if max_response_bytes == 0 {
        return Err(ConfigError::InvalidSetting(
            "max_response_bytes is zero, so no response could be read: give it a positive size"
                .to_owned(),
        ));
    }
    if window.is_zero() || window.subsec_nanos() != 0 || window > MAX_WINDOW {
        return Err(ConfigError::InvalidSetting(format!(
            "rate_limit_window is {window:?}: it must be a whole number of seconds from 1 s to \
             a day, because windows are aligned to the server's Date header, which counts \
             whole seconds (Katapult's window is 60 s, the default)"
        )));
    }
    Ok(())
}

/// `Bearer <token>`, marked sensitive so that HTTP/2 never indexes it and
/// `Debug` of the headers prints `Sensitive`.
pub(crate) fn bearer(token: &str) -> Result<HeaderValue, ConfigError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ConfigError::InvalidToken("is empty"));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::InvalidToken(
            "contains whitespace or control characters, which no token has",
        ));
    }
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| ConfigError::InvalidToken("holds characters an HTTP header cannot carry"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Parses and vets the base URL.
pub(super) fn base_url(raw: &str) -> Result<Url, ConfigError> {
    // A query may hold a secret someone pasted into the URL; errors do not
    // repeat it.
    let shown = match raw.split_once(['?', '#']) {
        Some((before, _)) => format!("{before}?<removed>"),
        None => raw.to_owned(),
    };
    let invalid = |reason: &str| ConfigError::InvalidBaseUrl {
        url: shown.clone(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(raw.trim())
        .map_err(|error| invalid(&format!("is not a valid URL ({error})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        // Not echoed back: the credentials would end up in the message.
        return Err(ConfigError::InvalidBaseUrl {
            url: format!(
                "{}://<credentials>@{}",
                url.scheme(),
                url.host_str().unwrap_or("")
            ),
            reason: "carries credentials, which would leak into logs; pass the token with \
                     KATAPULT_API_TOKEN or ClientBuilder::token instead"
                .to_owned(),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("has a query or fragment, which a base URL cannot"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ConfigError::InsecureBaseUrl { url: shown });
        }
        other => {
            return Err(invalid(&format!(
                "uses the scheme `{other}`; only https (and http to loopback) work"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("has no host"));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

pub(super) fn user_agent(product: Option<&str>) -> Result<HeaderValue, ConfigError> {
    let base = concat!("katapult-core/", env!("CARGO_PKG_VERSION"));
    match product.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(HeaderValue::from_static(base)),
        Some(product) if product.chars().all(|c| c.is_ascii_graphic() || c == ' ') => {
            HeaderValue::from_str(&format!("{base} {product}"))
                .map_err(|_| ConfigError::InvalidUserAgent(product.to_owned()))
        }
        Some(product) => Err(ConfigError::InvalidUserAgent(product.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BASE_URL_ENV, DEFAULT_BASE_URL, RATE_LIMIT_POOL_ENV, TOKEN_ENV};
    use crate::{Client, ClientBuilder, Error};

    fn config_error(result: Result<Client, Error>) -> ConfigError {
        match result {
            Err(Error::Config(error)) => error,
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }

    #[test]
    fn env_supplies_token_and_url() {
        let vars = |name: &str| match name {
            TOKEN_ENV => Some("tok".to_owned()),
            BASE_URL_ENV => Some("http://127.0.0.1:8080/core/v1/".to_owned()),
            _ => None,
        };
        let client = ClientBuilder::from_vars(vars).unwrap().build().unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:8080/core/v1");
    }

    #[test]
    fn env_names_the_rate_limit_pool_file() {
        let missing = std::env::temp_dir()
            .join(format!("katapult-no-such-folder-{}", std::process::id()))
            .join("env.pool");
        let vars = |name: &str| match name {
            TOKEN_ENV => Some("tok".to_owned()),
            RATE_LIMIT_POOL_ENV => Some(missing.display().to_string()),
            _ => None,
        };
        // Taken as the builder's pool: an unopenable one fails `build`.
        let error = config_error(ClientBuilder::from_vars(vars).unwrap().build());
        assert!(
            matches!(&error, ConfigError::RateLimitPool { path, .. } if *path == missing),
            "{error:?}"
        );
        // Empty is unset.
        let vars = |name: &str| match name {
            TOKEN_ENV => Some("tok".to_owned()),
            RATE_LIMIT_POOL_ENV => Some(" ".to_owned()),
            _ => None,
        };
        ClientBuilder::from_vars(vars).unwrap().build().unwrap();
    }

    #[test]
    fn env_without_a_token_says_which_variable() {
        let error = ClientBuilder::from_vars(|_| None).unwrap_err();
        assert!(error.to_string().contains("KATAPULT_API_TOKEN"), "{error}");
        let default_url = ClientBuilder::from_vars(|name| (name == TOKEN_ENV).then(|| "t".into()))
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(default_url.base_url(), DEFAULT_BASE_URL);
    }

    #[test]
    fn trailing_slashes_are_harmless() {
        for url in [
            "https://api.katapult.io/core/v1/",
            "https://api.katapult.io/core/v1//",
        ] {
            let client = Client::builder().token("t").base_url(url).build().unwrap();
            assert_eq!(client.base_url(), "https://api.katapult.io/core/v1");
        }
    }

    #[test]
    fn plain_http_is_refused_except_to_loopback() {
        for url in [
            "http://api.katapult.io/core/v1",
            "http://10.0.0.1",
            "http://127.evil.example",
        ] {
            let error = config_error(Client::builder().token("t").base_url(url).build());
            assert_eq!(
                error,
                ConfigError::InsecureBaseUrl {
                    url: url.to_owned()
                }
            );
            assert!(error.to_string().contains("in clear"), "{error}");
        }
        for url in [
            "http://127.0.0.1:9",
            "http://localhost:9/x",
            "http://[::1]:9",
            "http://127.1.2.3",
        ] {
            Client::builder().token("t").base_url(url).build().unwrap();
        }
    }

    #[test]
    fn malformed_urls_are_refused_with_the_fix() {
        for url in [
            "not a url",
            "ftp://example.com",
            "https://example.com/?x=1",
            "https:///",
        ] {
            let error = config_error(Client::builder().token("t").base_url(url).build());
            assert!(
                matches!(error, ConfigError::InvalidBaseUrl { .. }),
                "{url}: {error:?}"
            );
            assert!(error.to_string().contains("KATAPULT_API_URL"), "{error}");
        }
    }

    #[test]
    fn a_query_is_refused_without_being_echoed() {
        let error = config_error(
            Client::builder()
                .token("t")
                .base_url("https://api.katapult.io/core/v1?token=hunter2")
                .build(),
        );
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(
            error
                .to_string()
                .contains("https://api.katapult.io/core/v1?<removed>"),
            "{error}"
        );
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_being_echoed() {
        let error = config_error(
            Client::builder()
                .token("t")
                .base_url("https://me:hunter2@example.com")
                .build(),
        );
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(!format!("{error:?}").contains("hunter2"), "{error:?}");
    }

    #[test]
    fn bad_tokens_are_refused() {
        for token in ["", "   ", "two words", "line\nbreak"] {
            let error = config_error(Client::builder().token(token).build());
            assert!(
                matches!(error, ConfigError::InvalidToken(_)),
                "{token:?}: {error:?}"
            );
        }
        assert_eq!(
            config_error(Client::builder().build()),
            ConfigError::MissingToken
        );
        // A newline from a file is not a different token.
        Client::builder().token("tok\n").build().unwrap();
    }

    #[test]
    fn the_token_is_redacted_everywhere_debug_reaches() {
        let builder = Client::builder().token("s3cr3t-t0ken");
        assert!(!format!("{builder:?}").contains("s3cr3t"));
        let client = builder.build().unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t"));
        assert!(bearer("s3cr3t-t0ken").unwrap().is_sensitive());
    }

    #[test]
    fn user_agent_names_the_crate_and_the_product() {
        assert_eq!(
            user_agent(None).unwrap(),
            concat!("katapult-core/", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(
            user_agent(Some("my-app/1.2")).unwrap(),
            concat!("katapult-core/", env!("CARGO_PKG_VERSION"), " my-app/1.2")
        );
        assert!(user_agent(Some("bad\u{7f}")).is_err());
    }

    #[test]
    fn zero_settings_are_refused() {
        let error = config_error(Client::builder().token("t").timeout(Duration::ZERO).build());
        assert!(error.to_string().contains("timeout is zero"), "{error}");
        let error = config_error(Client::builder().token("t").max_response_bytes(0).build());
        assert!(error.to_string().contains("max_response_bytes"), "{error}");
    }

    #[test]
    fn rate_limit_windows_are_whole_seconds_up_to_a_day() {
        for window in [
            Duration::ZERO,
            Duration::from_millis(500),
            Duration::from_millis(1500),
            Duration::from_secs(86_401),
        ] {
            let error = config_error(
                Client::builder()
                    .token("t")
                    .rate_limit_window(window)
                    .build(),
            );
            assert!(
                matches!(&error, ConfigError::InvalidSetting(text) if text.contains("rate_limit_window")),
                "{window:?}: {error:?}"
            );
        }
        for window in [1, 2, 60, 86_400] {
            Client::builder()
                .token("t")
                .rate_limit_window(Duration::from_secs(window))
                .build()
                .unwrap();
        }
    }
}
