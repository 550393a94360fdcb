//! Credentials as katapult-core finds them for a Rust program and for the
//! CLI: profiles, precedence, files other users can read, files that do not
//! parse, and Krystal's CLI config. Each test has a temporary home of its
//! own and an environment it builds; none reads the real one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use katapult_core::credentials::{CredentialsProblem, Environment, Lookup, Spelling};
use katapult_core::{ClientBuilder, ConfigError, Error};

/// A temporary directory standing for both the config directory and home.
struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "katapult-core-credentials-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn env(&self) -> Environment {
        Environment::empty()
            .with_config_dir(self.0.join("config"))
            .with_home_dir(&self.0)
    }

    fn write(&self, relative: &str, text: &str, mode: u32) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        set_mode(&path, mode);
        path
    }

    fn config(&self, text: &str, mode: u32) -> PathBuf {
        self.write("config/katapult/config.toml", text, mode)
    }

    fn krystal(&self, text: &str, mode: u32) -> PathBuf {
        self.write(".katapult/katapult.yaml", text, mode)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) {}

fn token(lookup: &Lookup, env: &Environment) -> String {
    let found = lookup.resolve(env).unwrap();
    found.token.expect("a token").expose().to_owned()
}

fn refusal(lookup: &Lookup, env: &Environment) -> (CredentialsProblem, String) {
    let error = lookup.resolve(env).unwrap_err();
    (error.problem(), error.to_string())
}

const PROFILES: &str = "[profiles.default]\ntoken = \"default-token\"\n\n\
    [profiles.staging]\ntoken = \"staging-token\"\nbase_url = \"http://127.0.0.1:9/core/v1\"\n";

#[test]
fn a_named_profile_gives_its_token_and_base_url() {
    let home = Home::new("profile");
    let path = home.config(PROFILES, 0o600);
    let found = Lookup::new()
        .profile("staging")
        .resolve(&home.env())
        .unwrap();
    assert_eq!(found.token.unwrap().expose(), "staging-token");
    assert_eq!(
        found.base_url.as_deref(),
        Some("http://127.0.0.1:9/core/v1")
    );
    assert_eq!(
        found.token_source,
        Some(format!("profile staging of {}", path.display()))
    );
    let builder = ClientBuilder::from_lookup(&Lookup::new().profile("staging"), &home.env());
    assert_eq!(
        builder.unwrap().build().unwrap().base_url(),
        "http://127.0.0.1:9/core/v1"
    );
}

#[test]
fn a_profile_goes_with_the_rate_limit_pool_the_environment_names() {
    let home = Home::new("profile-pool");
    home.config(PROFILES, 0o600);
    let pool = home.0.join("profile.pool");
    let env = home
        .env()
        .with_var("KATAPULT_RATE_LIMIT_POOL", pool.to_str().unwrap());
    ClientBuilder::from_lookup(&Lookup::new().profile("staging"), &env)
        .unwrap()
        .build()
        .unwrap();
    // Opened, so created: the record is written with the first request.
    assert!(pool.is_file(), "{}", pool.display());
}

#[test]
fn the_default_profile_is_default_or_what_default_profile_names() {
    let home = Home::new("default");
    home.config(PROFILES, 0o600);
    assert_eq!(token(&Lookup::new(), &home.env()), "default-token");
    home.config(&format!("default_profile = \"staging\"\n{PROFILES}"), 0o600);
    assert_eq!(token(&Lookup::new(), &home.env()), "staging-token");
}

/// A token file, then a profile, then the environment, then the default
/// profile, then Krystal's CLI config.
#[test]
fn precedence() {
    let home = Home::new("precedence");
    home.config(PROFILES, 0o600);
    home.krystal("api_token: krystal-token\n", 0o600);
    let file = home.write("token", "file-token\n", 0o600);
    let env = home.env().with_var("KATAPULT_API_TOKEN", "env-token");

    assert_eq!(token(&Lookup::new().token_file(&file), &env), "file-token");
    let both = Lookup::new().token_file(&file).profile("staging");
    let found = both.resolve(&env).unwrap();
    assert_eq!(found.token.unwrap().expose(), "file-token");
    // The profile still gives its base URL.
    assert_eq!(
        found.base_url.as_deref(),
        Some("http://127.0.0.1:9/core/v1")
    );
    assert_eq!(
        token(&Lookup::new().profile("staging"), &env),
        "staging-token"
    );
    assert_eq!(token(&Lookup::new(), &env), "env-token");
    assert_eq!(token(&Lookup::new(), &home.env()), "default-token");
    std::fs::remove_file(home.0.join("config/katapult/config.toml")).unwrap();
    assert_eq!(token(&Lookup::new(), &home.env()), "krystal-token");
}

/// A base URL from a file never carries a token from elsewhere to it.
#[test]
fn a_files_base_url_goes_only_with_its_token() {
    let home = Home::new("url");
    home.config(
        "[profiles.default]\ntoken = \"t\"\nbase_url = \"https://elsewhere.example\"\n",
        0o600,
    );
    home.krystal("api_token: k\napi_url: https://krystal.example\n", 0o600);
    let env = home.env().with_var("KATAPULT_API_TOKEN", "env-token");
    assert_eq!(Lookup::new().resolve(&env).unwrap().base_url, None);
    // And the environment's URL beats the file's, even with its token.
    let env = home
        .env()
        .with_var("KATAPULT_API_URL", "http://127.0.0.1:1");
    let found = Lookup::new().resolve(&env).unwrap();
    assert_eq!(found.base_url.as_deref(), Some("http://127.0.0.1:1"));
}

#[cfg(unix)]
#[test]
fn files_other_users_can_read_are_refused_with_the_fix() {
    let home = Home::new("mode");
    for mode in [0o644, 0o640, 0o604, 0o660] {
        let file = home.write("token", "t", mode);
        let (problem, message) = refusal(&Lookup::new().token_file(&file), &home.env());
        assert_eq!(problem, CredentialsProblem::Shared);
        assert!(
            message.contains(&format!("chmod 600 {}", file.display())),
            "{message}"
        );
        assert!(message.contains(&format!("mode {mode:03o}")), "{message}");

        let config = home.config(PROFILES, mode);
        for lookup in [Lookup::new(), Lookup::new().profile("staging")] {
            let (problem, message) = refusal(&lookup, &home.env());
            assert_eq!(problem, CredentialsProblem::Shared, "{message}");
            assert!(message.contains(&config.display().to_string()), "{message}");
        }
        std::fs::remove_file(&config).unwrap();
        let krystal = home.krystal("api_token: k\n", mode);
        let (problem, message) = refusal(&Lookup::new(), &home.env());
        assert_eq!(problem, CredentialsProblem::Shared, "{message}");
        assert!(
            message.contains(&krystal.display().to_string()),
            "{message}"
        );
        std::fs::remove_file(&krystal).unwrap();
    }
    // Not read at all when the environment gives the token.
    home.config(PROFILES, 0o644);
    let env = home.env().with_var("KATAPULT_API_TOKEN", "env-token");
    assert_eq!(token(&Lookup::new(), &env), "env-token");
}

#[test]
fn a_config_file_that_does_not_parse_names_the_file_and_the_line() {
    let home = Home::new("toml");
    let path = home.config("[profiles.a]\ntoken = \"t\"\ntokn = \"typo\"\n", 0o600);
    let error = Lookup::new().profile("a").resolve(&home.env()).unwrap_err();
    assert_eq!(error.problem(), CredentialsProblem::Invalid);
    assert_eq!(error.path(), Some(path.as_path()));
    assert_eq!(error.line_number(), Some(3));
    let message = error.to_string();
    assert!(
        message.contains(&format!("{} is not valid at line 3", path.display())),
        "{message}"
    );
    assert!(message.contains("tokn"), "{message}");
}

#[test]
fn profile_mistakes_say_what_to_write() {
    let home = Home::new("mistakes");
    let path = home.config("[profiles.a]\ntoken = \"t\"\n", 0o600);
    let (problem, message) = refusal(&Lookup::new().profile("b"), &home.env());
    assert_eq!(problem, CredentialsProblem::NoSuchProfile);
    assert!(
        message.contains("has no profile of that name (it has a)"),
        "{message}"
    );
    assert!(
        message.starts_with("Client::from_profile(b): "),
        "{message}"
    );

    home.config(
        "default_profile = \"gone\"\n[profiles.a]\ntoken = \"t\"\n",
        0o600,
    );
    let (problem, message) = refusal(&Lookup::new(), &home.env());
    assert_eq!(problem, CredentialsProblem::NoSuchProfile);
    assert!(message.contains("default_profile is \"gone\""), "{message}");

    std::fs::remove_file(&path).unwrap();
    let (problem, message) = refusal(&Lookup::new().profile("a"), &home.env());
    assert_eq!(problem, CredentialsProblem::Missing);
    assert!(message.contains("there is no config file at"), "{message}");

    let (problem, _) = refusal(&Lookup::new().profile("a"), &Environment::empty());
    assert_eq!(problem, CredentialsProblem::NoConfigDirectory);
}

#[test]
fn token_files_missing_or_empty_are_refused() {
    let home = Home::new("token-file");
    let lookup = Lookup::new().token_file(home.0.join("absent"));
    assert_eq!(refusal(&lookup, &home.env()).0, CredentialsProblem::Missing);
    let empty = home.write("token", "\n", 0o600);
    let (problem, message) = refusal(&Lookup::new().token_file(&empty), &home.env());
    assert_eq!(problem, CredentialsProblem::Invalid);
    assert!(message.contains("the file is empty"), "{message}");
}

#[test]
fn no_token_names_every_way_to_give_one_in_the_callers_words() {
    let home = Home::new("none");
    let env = home.env();
    let error = match ClientBuilder::from_lookup(&Lookup::new(), &env) {
        Err(Error::Config(ConfigError::Credentials(error))) => error,
        other => panic!("{other:?}"),
    };
    assert_eq!(error.problem(), CredentialsProblem::NoToken);
    let config = home.0.join("config/katapult/config.toml");
    let message = error.to_string();
    for way in [
        "ClientBuilder::token(TOKEN)",
        "Lookup::token_file(PATH)",
        "Client::from_profile(NAME)",
        "KATAPULT_API_TOKEN",
        "[profiles.default]",
        &config.display().to_string(),
    ] {
        assert!(message.contains(way), "{way}: {message}");
    }
    #[cfg(feature = "krystal-cli-config")]
    assert!(message.contains(".katapult/katapult.yaml"), "{message}");

    let cli = Spelling::new("--token-file PATH", "--profile NAME", None);
    let message = Lookup::new().spelling(cli).missing_token(&env).to_string();
    assert!(message.contains("--token-file PATH"), "{message}");
    assert!(!message.contains("ClientBuilder"), "{message}");
}

#[cfg(feature = "krystal-cli-config")]
mod krystal {
    use super::*;

    #[test]
    fn its_token_and_host_are_read() {
        let home = Home::new("krystal");
        let path = home.krystal(
            "api_token: krystal-token\napi_url: https://api.katapult.io\nother: setting\n",
            0o600,
        );
        let found = Lookup::new().resolve(&home.env()).unwrap();
        assert_eq!(found.token.unwrap().expose(), "krystal-token");
        assert_eq!(
            found.base_url.as_deref(),
            Some("https://api.katapult.io/core/v1")
        );
        assert_eq!(
            found.token_source,
            Some(format!("api_token of {}", path.display()))
        );
    }

    #[test]
    fn an_empty_one_gives_nothing() {
        let home = Home::new("krystal-empty");
        home.krystal("", 0o600);
        assert!(Lookup::new().resolve(&home.env()).unwrap().token.is_none());
        home.krystal("api_token: \"\"\napi_url: \"\"\n", 0o600);
        assert!(Lookup::new().resolve(&home.env()).unwrap().token.is_none());
    }

    #[test]
    fn one_that_does_not_parse_names_the_file_and_the_line() {
        let home = Home::new("krystal-bad");
        let path = home.krystal("api_url: https://x\napi_token: [unclosed\n", 0o600);
        let error = Lookup::new().resolve(&home.env()).unwrap_err();
        assert_eq!(error.problem(), CredentialsProblem::Invalid);
        assert_eq!(error.path(), Some(path.as_path()));
        let line = error.line_number().expect("a line");
        assert!((2..=3).contains(&line), "{line}");
        assert!(
            error.to_string().contains(&format!(
                "{} is not valid YAML at line {line}",
                path.display()
            )),
            "{error}"
        );
    }
}
