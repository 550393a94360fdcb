//! Where a client's API token and base URL come from: the same file, the
//! same order and the same checks for a Rust program
//! ([`ClientBuilder::from_config`](crate::ClientBuilder::from_config),
//! [`Client::from_profile`](crate::Client::from_profile)) and for the
//! `katapult` CLI, which maps its flags onto a [`Lookup`].
//!
//! In order, each setting taking the first value found:
//!
//! 1. what the program was told: a token file, a profile
//!    ([`Lookup::token_file`], [`Lookup::profile`]; the CLI's
//!    `--token-file`, `--profile`);
//! 2. the environment: `KATAPULT_API_TOKEN`, `KATAPULT_API_URL`;
//! 3. the default profile of the config file, `katapult/config.toml` in the
//!    platform's config directory (`$XDG_CONFIG_HOME`, else `~/.config`, on
//!    Linux and macOS; `%APPDATA%` on Windows);
//! 4. the config of Krystal's own `katapult` CLI, `~/.katapult/katapult.yaml`
//!    (its `api_token` and `api_url`; the `krystal-cli-config` feature, on
//!    by default).
//!
//! A base URL from a file (3 or 4) goes only with that file's token, so a
//! token from elsewhere never goes to a host chosen for another.
//!
//! A file holding a token that other users can read is refused (unix mode
//! bits). On Windows this is not checked: see [`CredentialsProblem::Shared`].

mod builder;
mod error;
mod files;

use std::fmt;
use std::path::PathBuf;

pub use error::{CredentialsError, CredentialsProblem};

use crate::config::{BASE_URL_ENV, TOKEN_ENV};
use error::example_config;

/// The profile used when none is named and `default_profile` is not set.
pub const DEFAULT_PROFILE: &str = "default";

/// An API token. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// The token itself, for [`ClientBuilder::token`](crate::ClientBuilder::token).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The token and base URL a [`Lookup`] found, and where each came from
/// (for diagnostics; never the token itself).
#[derive(Debug, Default, Clone)]
#[non_exhaustive]
pub struct Credentials {
    /// `None` when no source gave one.
    pub token: Option<Token>,
    /// `None` means the default ([`DEFAULT_BASE_URL`](crate::DEFAULT_BASE_URL)).
    pub base_url: Option<String>,
    /// Where the token came from: `KATAPULT_API_TOKEN`, `profile staging of
    /// /home/me/.config/katapult/config.toml`, ...
    pub token_source: Option<String>,
    /// Where the base URL came from.
    pub base_url_source: Option<String>,
}

/// How a program names the ways it takes credentials, so that messages
/// speak its language: `--profile staging: ...` in the CLI,
/// `Client::from_profile(staging): ...` in Rust. `PATH` and `NAME` are
/// replaced by the path and the profile's name.
///
/// ```
/// use katapult_core::credentials::Spelling;
///
/// const FLAGS: Spelling = Spelling::new("--token-file PATH", "--profile NAME", None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Spelling {
    /// How a token file is given, with `PATH` in it.
    pub token_file: &'static str,
    /// How a profile is named, with `NAME` in it.
    pub profile: &'static str,
    /// How a token is given directly, if the program can.
    pub token: Option<&'static str>,
}

impl Spelling {
    /// The spelling of a token file (with `PATH`), of a profile (with
    /// `NAME`), and of a token given directly, if the program takes one.
    pub const fn new(
        token_file: &'static str,
        profile: &'static str,
        token: Option<&'static str>,
    ) -> Self {
        Self {
            token_file,
            profile,
            token,
        }
    }
}

impl Default for Spelling {
    /// The Rust API's names.
    fn default() -> Self {
        Self {
            token_file: "Lookup::token_file(PATH)",
            profile: "Client::from_profile(NAME)",
            token: Some("ClientBuilder::token(TOKEN)"),
        }
    }
}

/// Where a [`Lookup`] looks: environment variables and the two
/// directories. [`Environment::process`] is this process's; a test builds
/// its own, with temporary directories and no real home.
///
/// ```
/// use katapult_core::credentials::{Environment, Lookup};
///
/// let dir = std::env::temp_dir().join("katapult-doc-env");
/// let env = Environment::empty()
///     .with_var("KATAPULT_API_TOKEN", "t")
///     .with_config_dir(&dir)
///     .with_home_dir(&dir);
/// let found = Lookup::new().resolve(&env)?;
/// assert_eq!(found.token.unwrap().expose(), "t");
/// assert_eq!(found.token_source.as_deref(), Some("KATAPULT_API_TOKEN"));
/// # Ok::<(), katapult_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Environment {
    /// `None`: the process's variables.
    vars: Option<Vec<(String, String)>>,
    config_dir: Option<PathBuf>,
    home_dir: Option<PathBuf>,
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Variable values may be tokens: only their names are shown.
        let names: Option<Vec<&str>> = self
            .vars
            .as_ref()
            .map(|vars| vars.iter().map(|(name, _)| name.as_str()).collect());
        f.debug_struct("Environment")
            .field(
                "vars",
                &names.map_or("<process>".to_owned(), |n| n.join(",")),
            )
            .field("config_dir", &self.config_dir)
            .field("home_dir", &self.home_dir)
            .finish()
    }
}

impl Environment {
    /// This process: its variables, the platform's config directory and the
    /// user's home, as [etcetera](https://docs.rs/etcetera) finds them
    /// (XDG on Linux and macOS, honouring an absolute `XDG_CONFIG_HOME`;
    /// the known folders on Windows).
    pub fn process() -> Self {
        use etcetera::BaseStrategy as _;
        let strategy = etcetera::choose_base_strategy().ok();
        Self {
            vars: None,
            config_dir: strategy.as_ref().map(|s| s.config_dir()),
            home_dir: strategy.as_ref().map(|s| s.home_dir().to_owned()),
        }
    }

    /// No variables and no directories: build one up with the `with_`
    /// methods.
    pub fn empty() -> Self {
        Self {
            vars: Some(Vec::new()),
            config_dir: None,
            home_dir: None,
        }
    }

    /// Sets a variable (only for an environment made by [`empty`](Self::empty)).
    pub fn with_var(mut self, name: &str, value: &str) -> Self {
        let vars = self.vars.get_or_insert_with(Vec::new);
        vars.retain(|(existing, _)| existing != name);
        vars.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The platform's config directory; the config file is
    /// `katapult/config.toml` under it.
    pub fn with_config_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config_dir = Some(dir.into());
        self
    }

    /// The user's home; Krystal's CLI config is `.katapult/katapult.yaml`
    /// under it.
    pub fn with_home_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.home_dir = Some(dir.into());
        self
    }

    /// A variable's value; empty values count as unset.
    fn var(&self, name: &str) -> Option<String> {
        let value = match &self.vars {
            None => std::env::var(name).ok(),
            Some(vars) => vars
                .iter()
                .find(|(existing, _)| existing == name)
                .map(|(_, value)| value.clone()),
        };
        value.filter(|value| !value.trim().is_empty())
    }

    /// The config file: `katapult/config.toml` in the config directory.
    pub fn config_path(&self) -> Option<PathBuf> {
        Some(
            self.config_dir
                .as_ref()?
                .join("katapult")
                .join("config.toml"),
        )
    }

    /// Krystal's CLI config: `~/.katapult/katapult.yaml`.
    pub fn krystal_config_path(&self) -> Option<PathBuf> {
        Some(
            self.home_dir
                .as_ref()?
                .join(".katapult")
                .join("katapult.yaml"),
        )
    }
}

/// What a program was told about credentials, and how it names them.
///
/// ```no_run
/// use katapult_core::credentials::{Environment, Lookup};
///
/// let found = Lookup::new().profile("staging").resolve(&Environment::process())?;
/// println!("token from {:?}", found.token_source);
/// # Ok::<(), katapult_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    token_file: Option<PathBuf>,
    profile: Option<String>,
    spelling: Spelling,
}

impl Lookup {
    /// Nothing given: the environment, then the config files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Read the token from this file (its first line). It beats every other
    /// source of a token, a profile's included.
    pub fn token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_file = Some(path.into());
        self
    }

    /// Use this profile of the config file: its token (unless a token file
    /// gives one) and its base URL. It beats the environment.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// How messages name the ways to give credentials.
    pub fn spelling(mut self, spelling: Spelling) -> Self {
        self.spelling = spelling;
        self
    }

    /// Finds the token and base URL. Reads the config file only when it is
    /// needed: a profile was named, or neither a token file nor the
    /// environment gave a token. A missing token is not an error here (a
    /// dry run needs none): see [`missing_token`](Self::missing_token).
    pub fn resolve(&self, env: &Environment) -> Result<Credentials, CredentialsError> {
        let mut found = Credentials::default();

        if let Some(path) = &self.token_file {
            let named = self.named_token_file(path);
            found.token = Some(files::read_token_file(path, &named)?);
            found.token_source = Some(named);
        }

        if let Some(name) = &self.profile {
            self.named_profile(name, env, &mut found)?;
        }

        if found.token.is_none()
            && let Some(token) = env.var(TOKEN_ENV)
        {
            found.token = Some(Token(token));
            found.token_source = Some(TOKEN_ENV.to_owned());
        }
        if found.base_url.is_none()
            && let Some(url) = env.var(BASE_URL_ENV)
        {
            found.base_url = Some(url);
            found.base_url_source = Some(BASE_URL_ENV.to_owned());
        }

        if found.token.is_none() && self.profile.is_none() {
            self.default_profile(env, &mut found)?;
        }
        if found.token.is_none() && self.profile.is_none() {
            krystal_cli(env, &mut found)?;
        }
        Ok(found)
    }

    /// The error for "no token from anywhere": every way to give one, in
    /// this lookup's spelling, with the paths this environment has.
    pub fn missing_token(&self, env: &Environment) -> CredentialsError {
        let config = env.config_path().map_or_else(
            || "katapult/config.toml in your config directory".to_owned(),
            |path| path.display().to_string(),
        );
        let krystal = env.krystal_config_path().map_or_else(
            || "~/.katapult/katapult.yaml".to_owned(),
            |path| path.display().to_string(),
        );
        let spelling = self.spelling;
        let mut ways = Vec::new();
        if let Some(direct) = spelling.token {
            ways.push((direct.to_owned(), "the token itself".to_owned()));
        }
        ways.extend([
            (
                spelling.token_file.to_owned(),
                "a file holding the token (chmod 600 PATH)".to_owned(),
            ),
            (
                spelling.profile.to_owned(),
                format!("a profile in {config}"),
            ),
            (TOKEN_ENV.to_owned(), "the environment variable".to_owned()),
            (
                "a default profile".to_owned(),
                format!(
                    "[profiles.default] in {config}, or the profile that file's \
                     default_profile names"
                ),
            ),
        ]);
        if cfg!(feature = "krystal-cli-config") {
            ways.push((
                "Krystal's katapult CLI".to_owned(),
                format!("api_token in {krystal}"),
            ));
        }
        let width = ways.iter().map(|(way, _)| way.len()).max().unwrap_or(0);
        let list: String = ways
            .iter()
            .map(|(way, what)| format!("  {way:width$}  {what}\n"))
            .collect();
        error::CredentialsError::new(
            CredentialsProblem::NoToken,
            format!(
                "no API token. Give one in any of these ways:\n{list}Create a token in Katapult \
                 under Organization > API tokens.\n\nAn example {config}:\n\n{}",
                example_config(DEFAULT_PROFILE)
            ),
        )
    }

    fn named_token_file(&self, path: &std::path::Path) -> String {
        self.spelling
            .token_file
            .replace("PATH", &path.display().to_string())
    }

    /// A named profile: its token (unless one was given already) and its
    /// base URL, or an error saying what to write.
    fn named_profile(
        &self,
        name: &str,
        env: &Environment,
        found: &mut Credentials,
    ) -> Result<(), CredentialsError> {
        let named = self.spelling.profile.replace("NAME", name);
        let path = env.config_path().ok_or_else(|| {
            CredentialsError::new(
                CredentialsProblem::NoConfigDirectory,
                format!(
                    "{named}: there is no config file to read it from, because neither the \
                     platform's config directory nor a home directory is known; set \
                     XDG_CONFIG_HOME or HOME (on Windows, APPDATA)"
                ),
            )
        })?;
        let config = files::read_config(&path)?.ok_or_else(|| {
            CredentialsError::new(
                CredentialsProblem::Missing,
                format!(
                    "{named}: there is no config file at {}; create it with\n\n{}",
                    path.display(),
                    example_config(name)
                ),
            )
            .at(&path)
        })?;
        let profile = config.profiles.get(name).ok_or_else(|| {
            CredentialsError::new(
                CredentialsProblem::NoSuchProfile,
                format!(
                    "{named}: {} has no profile of that name ({}); add a [profiles.{name}] table",
                    path.display(),
                    config.profile_list()
                ),
            )
            .at(&path)
        })?;
        let source = format!("profile {name} of {}", path.display());
        if found.token.is_none() {
            found.token = Some(Token(profile.token.clone()));
            found.token_source = Some(source.clone());
        }
        if let Some(url) = &profile.base_url {
            found.base_url = Some(url.clone());
            found.base_url_source = Some(source);
        }
        Ok(())
    }

    /// The config file's default profile, when it has one.
    fn default_profile(
        &self,
        env: &Environment,
        found: &mut Credentials,
    ) -> Result<(), CredentialsError> {
        let Some(path) = env.config_path() else {
            return Ok(());
        };
        let Some(config) = files::read_config(&path)? else {
            return Ok(());
        };
        let name = config
            .default_profile
            .clone()
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned());
        match config.profiles.get(&name) {
            Some(profile) => {
                let source = format!("default profile {name} of {}", path.display());
                found.token = Some(Token(profile.token.clone()));
                found.token_source = Some(source.clone());
                if found.base_url.is_none()
                    && let Some(url) = &profile.base_url
                {
                    found.base_url = Some(url.clone());
                    found.base_url_source = Some(source);
                }
                Ok(())
            }
            None if config.default_profile.is_some() => Err(CredentialsError::new(
                CredentialsProblem::NoSuchProfile,
                format!(
                    "{}: default_profile is {name:?}, but there is no profile of that name ({}); \
                     add a [profiles.{name}] table or correct default_profile",
                    path.display(),
                    config.profile_list()
                ),
            )
            .at(&path)),
            // No profile called "default" and none named as the default:
            // the file holds only named profiles.
            None => Ok(()),
        }
    }
}

/// The last fallback: Krystal's CLI config, so its users need no second
/// setup. Its `api_url` goes only with its `api_token`.
fn krystal_cli(env: &Environment, found: &mut Credentials) -> Result<(), CredentialsError> {
    let Some(path) = env.krystal_config_path() else {
        return Ok(());
    };
    let Some(config) = files::read_krystal_config(&path)? else {
        return Ok(());
    };
    let Some(token) = config.api_token.filter(|t| !t.trim().is_empty()) else {
        return Ok(());
    };
    let source = format!("api_token of {}", path.display());
    found.token = Some(Token(token));
    found.token_source = Some(source);
    if found.base_url.is_none()
        && let Some(url) = config.api_url.filter(|u| !u.trim().is_empty())
    {
        found.base_url = Some(files::krystal_base_url(&url));
        found.base_url_source = Some(format!("api_url of {}", path.display()));
    }
    Ok(())
}
