//! Reading the files that hold credentials: a token file, the config file
//! (TOML profiles) and Krystal's own CLI config (YAML). Each is refused
//! when other users can read it, where the platform says so.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

use super::error::{CredentialsError, CredentialsProblem, example_config, line_of};
use super::{DEFAULT_PROFILE, Token};

/// The config file: named profiles, and which one is the default.
///
/// ```toml
/// default_profile = "production"   # optional; otherwise the profile named "default"
///
/// [profiles.production]
/// token = "..."
/// base_url = "https://api.katapult.io/core/v1"   # optional
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfigFile {
    pub(super) default_profile: Option<String>,
    #[serde(default)]
    pub(super) profiles: BTreeMap<String, Profile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Profile {
    pub(super) token: String,
    pub(super) base_url: Option<String>,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("token", &"<redacted>")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl ConfigFile {
    /// "it has a, b", for messages about a missing profile.
    pub(super) fn profile_list(&self) -> String {
        if self.profiles.is_empty() {
            "it has none".to_owned()
        } else {
            let names: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
            format!("it has {}", names.join(", "))
        }
    }
}

/// Reads a token file: the first line, surrounding whitespace removed.
/// `named` is how the caller names the option that gave it.
pub(super) fn read_token_file(path: &Path, named: &str) -> Result<Token, CredentialsError> {
    let text = read_private(path, "token file")?.ok_or_else(|| {
        CredentialsError::new(
            CredentialsProblem::Missing,
            format!("{named}: no such file; give the path of a file holding the API token"),
        )
        .at(path)
    })?;
    let token = text.lines().next().unwrap_or("").trim();
    if token.is_empty() {
        return Err(CredentialsError::new(
            CredentialsProblem::Invalid,
            format!("{named}: the file is empty; write the API token on its first line"),
        )
        .at(path)
        .line(Some(1)));
    }
    Ok(Token(token.to_owned()))
}

/// Reads and parses the config file; `None` when there is none.
pub(super) fn read_config(path: &Path) -> Result<Option<ConfigFile>, CredentialsError> {
    let Some(text) = read_private(path, "config file")? else {
        return Ok(None);
    };
    toml::from_str(&text).map(Some).map_err(|error| {
        let line = error.span().map(|span| line_of(&text, span.start));
        let at = line.map(|n| format!(" at line {n}")).unwrap_or_default();
        CredentialsError::new(
            CredentialsProblem::Invalid,
            format!(
                "the config file {} is not valid{at}: {}\nIt holds named profiles, like \
                 this:\n\n{}",
                path.display(),
                error.message().trim_end(),
                example_config(DEFAULT_PROFILE)
            ),
        )
        .at(path)
        .line(line)
    })
}

/// What katapult-core reads of Krystal's `katapult` CLI config
/// (`~/.katapult/katapult.yaml`). That CLI writes other settings too, so
/// unknown keys are ignored; an empty value counts as unset.
#[derive(Default, Deserialize)]
pub(super) struct KrystalConfig {
    pub(super) api_token: Option<String>,
    pub(super) api_url: Option<String>,
}

/// Reads Krystal's CLI config; `None` when there is none.
#[cfg(feature = "krystal-cli-config")]
pub(super) fn read_krystal_config(path: &Path) -> Result<Option<KrystalConfig>, CredentialsError> {
    let Some(text) = read_private(path, "katapult CLI config file")? else {
        return Ok(None);
    };
    if text.trim().is_empty() {
        // What that CLI writes before anything is set.
        return Ok(Some(KrystalConfig::default()));
    }
    serde_yaml_ng::from_str(&text).map(Some).map_err(|error| {
        let line = error.location().map(|location| location.line());
        let at = line.map(|n| format!(" at line {n}")).unwrap_or_default();
        CredentialsError::new(
            CredentialsProblem::Invalid,
            format!(
                "the katapult CLI config file {} is not valid YAML{at}: {error}\nIt holds, for \
                 example:\n\n    api_token: <your API token>\n    api_url: https://api.katapult.io",
                path.display(),
            ),
        )
        .at(path)
        .line(line)
    })
}

/// Without the `krystal-cli-config` feature the file is not looked for.
#[cfg(not(feature = "krystal-cli-config"))]
pub(super) fn read_krystal_config(_: &Path) -> Result<Option<KrystalConfig>, CredentialsError> {
    Ok(None)
}

/// The base URL from Krystal's `api_url`, which names the host (that CLI
/// adds `/core/v1` itself): a URL with no path gets katapult-core's.
pub(super) fn krystal_base_url(api_url: &str) -> String {
    let url = api_url.trim().trim_end_matches('/');
    let has_path = url
        .split_once("://")
        .is_some_and(|(_, rest)| rest.contains('/'));
    if has_path {
        url.to_owned()
    } else {
        format!("{url}/core/v1")
    }
}

/// Reads a file that holds a credential, refusing it when other users can
/// read it. `None` when it does not exist.
fn read_private(path: &Path, what: &str) -> Result<Option<String>, CredentialsError> {
    let cannot = |error: std::io::Error| {
        CredentialsError::new(
            CredentialsProblem::Unreadable,
            format!("cannot read the {what} {}: {error}", path.display()),
        )
        .at(path)
    };
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(cannot(error)),
    };
    if !metadata.is_file() {
        return Err(CredentialsError::new(
            CredentialsProblem::Unreadable,
            format!("the {what} {} is not a file", path.display()),
        )
        .at(path));
    }
    refuse_if_shared(path, &metadata, what)?;
    std::fs::read_to_string(path).map(Some).map_err(cannot)
}

/// Unix: a file any other user can read or write (group or other mode
/// bits) is refused.
#[cfg(unix)]
fn refuse_if_shared(
    path: &Path,
    metadata: &std::fs::Metadata,
    what: &str,
) -> Result<(), CredentialsError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CredentialsError::new(
            CredentialsProblem::Shared,
            format!(
                "refusing the {what} {path}: other users can read it (mode {mode:03o}), and it \
                 holds an API token. Make it yours alone with `chmod 600 {path}`, then run this \
                 again",
                path = path.display()
            ),
        )
        .at(path));
    }
    Ok(())
}

/// Not unix (Windows): not checked. Its ACLs do not reduce to mode bits,
/// and reading them needs the Windows security API; what protects the file
/// there is its place under the user's own profile directory.
#[cfg(not(unix))]
fn refuse_if_shared(_: &Path, _: &std::fs::Metadata, _: &str) -> Result<(), CredentialsError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn krystal_urls_name_the_host() {
        assert_eq!(
            krystal_base_url("https://api.katapult.io"),
            "https://api.katapult.io/core/v1"
        );
        assert_eq!(
            krystal_base_url("https://api.katapult.io/"),
            "https://api.katapult.io/core/v1"
        );
        assert_eq!(
            krystal_base_url("https://example.com/core/v1/"),
            "https://example.com/core/v1"
        );
    }

    #[test]
    fn tokens_never_show_in_debug() {
        let profile = Profile {
            token: "s3cr3t".into(),
            base_url: None,
        };
        assert!(!format!("{profile:?}").contains("s3cr3t"));
    }
}
