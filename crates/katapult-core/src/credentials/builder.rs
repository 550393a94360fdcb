//! The constructors that read credentials the way the CLI does:
//! [`ClientBuilder::from_config`], [`ClientBuilder::from_profile`],
//! [`ClientBuilder::from_lookup`], and their [`Client`] twins.

use super::{CredentialsError, Environment, Lookup};
use crate::error::{ConfigError, Error};
use crate::{Client, ClientBuilder};

impl ClientBuilder {
    /// A builder with the token and base URL found as the `katapult` CLI
    /// finds them when given no flags: `KATAPULT_API_TOKEN` and
    /// `KATAPULT_API_URL`, then the config file's default profile, then
    /// Krystal's CLI config (see [`crate::credentials`]). Fails, naming
    /// every way to give one, when none gives a token.
    ///
    /// ```no_run
    /// let client = katapult_core::ClientBuilder::from_config()?
    ///     .user_agent_product("disk-janitor/1.4")
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), katapult_core::Error>(())
    /// ```
    pub fn from_config() -> Result<Self, Error> {
        Self::from_lookup(&Lookup::new(), &Environment::process())
    }

    /// A builder with the token of the config file's profile `name`, and
    /// its base URL if it has one (else `KATAPULT_API_URL`'s, else the
    /// default), as the CLI's `--profile NAME`. Fails, saying what to
    /// write, when the file or the profile is missing.
    pub fn from_profile(name: &str) -> Result<Self, Error> {
        Self::from_lookup(&Lookup::new().profile(name), &Environment::process())
    }

    /// A builder with what `lookup` finds in `env`; an error when it finds
    /// no token.
    ///
    /// ```
    /// use katapult_core::ClientBuilder;
    /// use katapult_core::credentials::{Environment, Lookup};
    ///
    /// // A home with no config files in it.
    /// let home = std::env::temp_dir().join("katapult-doc-lookup-absent");
    /// let env = Environment::empty().with_config_dir(&home).with_home_dir(&home);
    /// let error = ClientBuilder::from_lookup(&Lookup::new(), &env).unwrap_err();
    /// assert!(error.to_string().contains("KATAPULT_API_TOKEN"));
    /// ```
    pub fn from_lookup(lookup: &Lookup, env: &Environment) -> Result<Self, Error> {
        let found = lookup.resolve(env)?;
        let Some(token) = found.token else {
            return Err(lookup.missing_token(env).into());
        };
        let mut builder = Self::new().token(token.expose());
        if let Some(url) = found.base_url {
            builder = builder.base_url(url);
        }
        Ok(builder.rate_limit_pool_from(env.var(crate::config::RATE_LIMIT_POOL_ENV)))
    }
}

impl Client {
    /// [`ClientBuilder::from_config`], built with the defaults.
    pub fn from_config() -> Result<Self, Error> {
        ClientBuilder::from_config()?.build()
    }

    /// [`ClientBuilder::from_profile`], built with the defaults: the
    /// oxide.rs shape, `Client::from_profile("staging")?`.
    pub fn from_profile(name: &str) -> Result<Self, Error> {
        ClientBuilder::from_profile(name)?.build()
    }
}

impl From<CredentialsError> for Error {
    fn from(error: CredentialsError) -> Self {
        Error::Config(ConfigError::Credentials(Box::new(error)))
    }
}
