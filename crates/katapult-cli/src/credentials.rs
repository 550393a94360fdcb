//! Where the API token and base URL come from, in the order the help states:
//!
//! 1. the command line: `--token-file PATH` (the token), `--profile NAME`
//!    (that profile's token and base URL);
//! 2. the environment: `KATAPULT_API_TOKEN`, `KATAPULT_API_URL`;
//! 3. the config file's default profile.
//!
//! Each setting takes the first value found. One exception keeps a token
//! from going to a host chosen for another: the default profile's base URL
//! is used only together with the default profile's token.
//!
//! A token file or config file that other users can read is refused: it
//! holds a credential.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use katapult_core::{BASE_URL_ENV, TOKEN_ENV};
use serde::Deserialize;

use crate::exit::Failure;

/// The token and base URL to use, and where each came from (for `--debug`
/// and error messages).
#[derive(Debug, Default)]
pub struct Credentials {
    /// `None` when no source gave one: fine for `--dry-run`, refused otherwise.
    pub token: Option<Token>,
    /// `None` means katapult-core's default.
    pub base_url: Option<String>,
    /// Where the token came from.
    pub token_source: Option<String>,
    /// Where the base URL came from.
    pub base_url_source: Option<String>,
}

/// An API token. Its `Debug` never shows it.
pub struct Token(String);

impl Token {
    /// The token itself, for the client builder.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// What the command line said about credentials.
#[derive(Debug, Default, Clone)]
pub struct CommandLine {
    /// `--token-file`.
    pub token_file: Option<PathBuf>,
    /// `--profile`.
    pub profile: Option<String>,
}

/// Reads an environment variable.
type ReadVar = dyn Fn(&str) -> Option<String>;

/// The process environment, as far as credentials go: passed in so tests
/// can give their own.
pub struct Environment {
    /// Reads a variable; empty values count as unset.
    pub var: Box<ReadVar>,
}

impl Environment {
    /// The real environment.
    pub fn process() -> Self {
        Self {
            var: Box::new(|name| std::env::var(name).ok()),
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        (self.var)(name).filter(|value| !value.trim().is_empty())
    }

    /// `$XDG_CONFIG_HOME/katapult/config.toml`, or
    /// `$HOME/.config/katapult/config.toml` when `XDG_CONFIG_HOME` is unset
    /// or not absolute (as the XDG base directory specification says).
    pub fn config_path(&self) -> Option<PathBuf> {
        let base = match self.get("XDG_CONFIG_HOME").map(PathBuf::from) {
            Some(dir) if dir.is_absolute() => dir,
            _ => PathBuf::from(self.get("HOME")?).join(".config"),
        };
        Some(base.join("katapult").join("config.toml"))
    }
}

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
struct ConfigFile {
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    token: String,
    base_url: Option<String>,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("token", &"<redacted>")
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// The profile used when `--profile` is not given and `default_profile` is
/// not set.
const DEFAULT_PROFILE: &str = "default";

/// Resolves the credentials. Reads the config file only when it is needed:
/// `--profile` was given, or neither the command line nor the environment
/// gave a token.
pub fn resolve(command_line: &CommandLine, env: &Environment) -> Result<Credentials, Failure> {
    let mut credentials = Credentials::default();

    if let Some(path) = &command_line.token_file {
        credentials.token = Some(read_token_file(path)?);
        credentials.token_source = Some(format!("--token-file {}", path.display()));
    }

    if let Some(name) = &command_line.profile {
        let path = env.config_path().ok_or_else(|| {
            Failure::usage(format!(
                "--profile {name}: there is no config file to read it from, because neither \
                 XDG_CONFIG_HOME nor HOME is set; set one of them"
            ))
        })?;
        let config = read_config(&path)?.ok_or_else(|| {
            Failure::usage(format!(
                "--profile {name}: there is no config file at {}; create it with\n\n{}",
                path.display(),
                example_config(name)
            ))
        })?;
        let profile = config.profiles.get(name).ok_or_else(|| {
            Failure::usage(format!(
                "--profile {name}: {} has no profile of that name ({}); add a [profiles.{name}] table",
                path.display(),
                profile_list(&config)
            ))
        })?;
        let source = format!("profile {name} of {}", path.display());
        if credentials.token.is_none() {
            credentials.token = Some(Token(profile.token.clone()));
            credentials.token_source = Some(source.clone());
        }
        if let Some(url) = &profile.base_url {
            credentials.base_url = Some(url.clone());
            credentials.base_url_source = Some(source);
        }
    }

    if credentials.token.is_none()
        && let Some(token) = env.get(TOKEN_ENV)
    {
        credentials.token = Some(Token(token));
        credentials.token_source = Some(TOKEN_ENV.to_owned());
    }
    if credentials.base_url.is_none()
        && let Some(url) = env.get(BASE_URL_ENV)
    {
        credentials.base_url = Some(url);
        credentials.base_url_source = Some(BASE_URL_ENV.to_owned());
    }

    if credentials.token.is_none()
        && command_line.profile.is_none()
        && let Some(path) = env.config_path()
        && let Some(config) = read_config(&path)?
    {
        let name = config
            .default_profile
            .clone()
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned());
        match config.profiles.get(&name) {
            Some(profile) => {
                let source = format!("default profile {name} of {}", path.display());
                credentials.token = Some(Token(profile.token.clone()));
                credentials.token_source = Some(source.clone());
                if credentials.base_url.is_none()
                    && let Some(url) = &profile.base_url
                {
                    credentials.base_url = Some(url.clone());
                    credentials.base_url_source = Some(source);
                }
            }
            None if config.default_profile.is_some() => {
                return Err(Failure::usage(format!(
                    "{}: default_profile is {name:?}, but there is no profile of that name ({}); \
                     add a [profiles.{name}] table or correct default_profile",
                    path.display(),
                    profile_list(&config)
                )));
            }
            // No profile called "default" and none named as the default:
            // the file holds only named profiles, used with --profile.
            None => {}
        }
    }
    Ok(credentials)
}

/// The message for "no token from anywhere": every way to give one.
pub fn missing_token_message(env: &Environment) -> String {
    let config = env.config_path().map_or_else(
        || "$XDG_CONFIG_HOME/katapult/config.toml".to_owned(),
        |path| path.display().to_string(),
    );
    format!(
        "no API token. Give one in any of these ways:\n  \
         --token-file PATH   a file holding the token (chmod 600 PATH)\n  \
         --profile NAME      a profile in {config}\n  \
         {TOKEN_ENV}  the environment variable\n  \
         a default profile   [profiles.default] in {config}, or the profile that file's \
         default_profile names\n\
         Create a token in Katapult under Organization > API tokens. To try katapult without \
         one, add --mock (a mock Katapult, offline) or --dry-run (print the request, send nothing).\n\n\
         An example {config}:\n\n{}",
        example_config(DEFAULT_PROFILE)
    )
}

fn example_config(profile: &str) -> String {
    format!(
        "    [profiles.{profile}]\n    token = \"<your API token>\"\n    \
         # base_url = \"https://api.katapult.io/core/v1\"\n\n\
         and make it readable by you alone: chmod 600 <the file>"
    )
}

fn profile_list(config: &ConfigFile) -> String {
    if config.profiles.is_empty() {
        "it has none".to_owned()
    } else {
        format!(
            "it has {}",
            config
                .profiles
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// Reads a token file: the first line, surrounding whitespace removed.
fn read_token_file(path: &Path) -> Result<Token, Failure> {
    let text = read_private(path, "token file")?.ok_or_else(|| {
        Failure::usage(format!(
            "--token-file {}: no such file; give the path of a file holding the API token",
            path.display()
        ))
    })?;
    let token = text.lines().next().unwrap_or("").trim();
    if token.is_empty() {
        return Err(Failure::usage(format!(
            "--token-file {}: the file is empty; write the API token on its first line",
            path.display()
        )));
    }
    Ok(Token(token.to_owned()))
}

/// Reads and parses the config file; `None` when there is none.
fn read_config(path: &Path) -> Result<Option<ConfigFile>, Failure> {
    let Some(text) = read_private(path, "config file")? else {
        return Ok(None);
    };
    toml::from_str(&text).map(Some).map_err(|error| {
        Failure::usage(format!(
            "the config file {} is not valid: {}\nIt holds named profiles, like this:\n\n{}",
            path.display(),
            error.to_string().trim_end(),
            example_config(DEFAULT_PROFILE)
        ))
    })
}

/// Reads a file that holds a credential, refusing it when other users can
/// read it. `None` when it does not exist.
fn read_private(path: &Path, what: &str) -> Result<Option<String>, Failure> {
    let cannot = |error: std::io::Error| {
        Failure::usage(format!(
            "cannot read the {what} {}: {error}",
            path.display()
        ))
    };
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(cannot(error)),
    };
    if !metadata.is_file() {
        return Err(Failure::usage(format!(
            "the {what} {} is not a file",
            path.display()
        )));
    }
    refuse_if_shared(path, &metadata, what)?;
    std::fs::read_to_string(path).map(Some).map_err(cannot)
}

#[cfg(unix)]
fn refuse_if_shared(path: &Path, metadata: &std::fs::Metadata, what: &str) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Failure::usage(format!(
            "refusing the {what} {path}: other users can read it (mode {mode:03o}), and it holds \
             an API token. Make it yours alone with `chmod 600 {path}`, then run this again",
            path = path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_if_shared(_: &Path, _: &std::fs::Metadata, _: &str) -> Result<(), Failure> {
    // Windows ACLs do not reduce to a mode; the file's location under the
    // user's profile is what protects it there.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Environment {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Environment {
            var: Box::new(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())),
        }
    }

    #[test]
    fn the_config_path_follows_xdg() {
        assert_eq!(
            env(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]).config_path(),
            Some(PathBuf::from("/x/katapult/config.toml"))
        );
        assert_eq!(
            env(&[("XDG_CONFIG_HOME", "relative"), ("HOME", "/h")]).config_path(),
            Some(PathBuf::from("/h/.config/katapult/config.toml"))
        );
        assert_eq!(env(&[]).config_path(), None);
    }

    #[test]
    fn the_environment_alone_is_enough_and_reads_no_file() {
        let credentials = resolve(
            &CommandLine::default(),
            &env(&[(TOKEN_ENV, "t"), (BASE_URL_ENV, "http://127.0.0.1:1")]),
        )
        .unwrap();
        assert_eq!(credentials.token.unwrap().expose(), "t");
        assert_eq!(credentials.base_url.as_deref(), Some("http://127.0.0.1:1"));
    }

    #[test]
    fn nothing_at_all_is_no_token() {
        let credentials = resolve(&CommandLine::default(), &env(&[])).unwrap();
        assert!(credentials.token.is_none());
        let message = missing_token_message(&env(&[("HOME", "/h")]));
        for way in [
            "--token-file",
            "--profile",
            TOKEN_ENV,
            "/h/.config/katapult/config.toml",
        ] {
            assert!(message.contains(way), "{way}: {message}");
        }
    }

    #[test]
    fn tokens_never_show_in_debug() {
        assert!(!format!("{:?}", Token("s3cr3t".into())).contains("s3cr3t"));
        let profile = Profile {
            token: "s3cr3t".into(),
            base_url: None,
        };
        assert!(!format!("{profile:?}").contains("s3cr3t"));
    }
}
