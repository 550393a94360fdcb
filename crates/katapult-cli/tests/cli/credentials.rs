//! Where the token and base URL come from: token files, named profiles,
//! the environment, the default profile; their precedence; files other
//! users can read; and the message when there is no token at all. And
//! `--ca-file`, the trust the connection adds.

use katapult_test_server::closed_port;

use crate::support::{Home, Server, disks};

fn update<'a>(extra: &'a [&'a str]) -> Vec<&'a str> {
    let mut args = vec!["disk", "update", "--disk-id", "d"];
    args.extend_from_slice(extra);
    args
}

/// The token the server saw on its only request.
fn token_seen(server: &Server) -> String {
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests[0]
        .header("authorization")
        .unwrap()
        .trim_start_matches("Bearer ")
        .to_owned()
}

#[test]
fn token_file() {
    let home = Home::new("token-file");
    let server = disks();
    let file = home.file("token", "from-file\n", 0o600);
    home.katapult()
        .env("KATAPULT_API_URL", server.base_url())
        .args(update(&["--token-file", file.to_str().unwrap()]))
        .run()
        .exits(0);
    assert_eq!(token_seen(&server), "from-file");
}

#[test]
fn a_token_file_others_can_read_is_refused_with_the_fix() {
    let home = Home::new("token-file-mode");
    let server = disks();
    for mode in [0o644, 0o640, 0o604] {
        let file = home.file("token", "t", mode);
        let run = home
            .katapult()
            .env("KATAPULT_API_URL", server.base_url())
            .args(update(&["--token-file", file.to_str().unwrap()]))
            .run();
        run.exits(2);
        assert!(
            run.stderr
                .contains(&format!("chmod 600 {}", file.display())),
            "{mode:o}: {run:?}"
        );
        assert!(run.stderr.contains(&format!("mode {mode:03o}")), "{run:?}");
    }
    assert!(server.requests().is_empty());
}

#[test]
fn a_missing_or_empty_token_file_is_refused() {
    let home = Home::new("token-file-bad");
    let run = home
        .katapult()
        .args(update(&["--token-file", "/nonexistent/token"]))
        .run();
    run.exits(2);
    assert!(run.stderr.contains("no such file"), "{run:?}");
    let empty = home.file("token", "\n", 0o600);
    let run = home
        .katapult()
        .args(update(&["--token-file", empty.to_str().unwrap()]))
        .run();
    run.exits(2);
    assert!(run.stderr.contains("the file is empty"), "{run:?}");
}

#[test]
fn named_profile_gives_token_and_base_url() {
    let home = Home::new("profile");
    let server = disks();
    home.config(
        &format!(
            "[profiles.staging]\ntoken = \"staging-token\"\nbase_url = \"{}\"\n\n\
             [profiles.default]\ntoken = \"default-token\"\nbase_url = \"{}\"\n",
            server.base_url(),
            closed_port()
        ),
        0o600,
    );
    home.katapult()
        .args(update(&["--profile", "staging"]))
        .run()
        .exits(0);
    assert_eq!(token_seen(&server), "staging-token");
}

#[test]
fn the_default_profile_is_used_when_nothing_else_gives_a_token() {
    let home = Home::new("default-profile");
    let server = disks();
    home.config(
        &format!(
            "default_profile = \"work\"\n\n[profiles.work]\ntoken = \"work-token\"\nbase_url = \"{}\"\n",
            server.base_url()
        ),
        0o600,
    );
    home.katapult().args(update(&[])).run().exits(0);
    assert_eq!(token_seen(&server), "work-token");

    // Without default_profile, the profile named "default".
    let server = disks();
    home.config(
        &format!(
            "[profiles.default]\ntoken = \"plain-default\"\nbase_url = \"{}\"\n",
            server.base_url()
        ),
        0o600,
    );
    home.katapult().args(update(&[])).run().exits(0);
    assert_eq!(token_seen(&server), "plain-default");
}

/// Command line, then environment, then the default profile.
#[test]
fn precedence() {
    let home = Home::new("precedence");
    let server = disks();
    home.config(
        &format!(
            "[profiles.default]\ntoken = \"default-token\"\n\n\
             [profiles.named]\ntoken = \"named-token\"\nbase_url = \"{}\"\n",
            server.base_url()
        ),
        0o600,
    );
    let file = home.file("token", "file-token", 0o600);
    let cases: [(&[&str], &str); 4] = [
        // The environment beats the default profile.
        (&[], "env-token"),
        // --profile beats the environment.
        (&["--profile", "named"], "named-token"),
        // --token-file beats the environment...
        (&["--token-file", file.to_str().unwrap()], "file-token"),
        // ... and the profile's token (the profile still gives its URL).
        (
            &["--token-file", file.to_str().unwrap(), "--profile", "named"],
            "file-token",
        ),
    ];
    for (index, (extra, expected)) in cases.into_iter().enumerate() {
        let run = home
            .katapult()
            .env("KATAPULT_API_TOKEN", "env-token")
            .env("KATAPULT_API_URL", server.base_url())
            .args(update(extra))
            .run();
        run.exits(0);
        let requests = server.requests();
        assert_eq!(
            requests[index].header("authorization"),
            Some(format!("Bearer {expected}").as_str()),
            "{extra:?}"
        );
    }
}

/// A token from the environment never goes to a host picked by the default
/// profile for its own token.
#[test]
fn the_default_profiles_url_goes_only_with_its_token() {
    let home = Home::new("profile-url");
    home.config(
        "[profiles.default]\ntoken = \"default-token\"\nbase_url = \"https://elsewhere.example\"\n",
        0o600,
    );
    let run = home
        .katapult()
        .env("KATAPULT_API_TOKEN", "env-token")
        .args(update(&["--dry-run"]))
        .run();
    run.exits(0);
    assert!(
        run.stdout
            .starts_with("PATCH https://api.katapult.io/core/v1/disks/disk"),
        "{run:?}"
    );
}

#[test]
fn a_config_file_others_can_read_is_refused_with_the_fix() {
    let home = Home::new("config-mode");
    let path = home.config("[profiles.default]\ntoken = \"t\"\n", 0o644);
    for extra in [&[][..], &["--profile", "default"]] {
        let run = home.katapult().args(update(extra)).run();
        run.exits(2);
        assert!(
            run.stderr
                .contains(&format!("chmod 600 {}", path.display())),
            "{run:?}"
        );
    }
    // Not read at all when the environment gives the token.
    let server = disks();
    home.katapult()
        .against(&server, "env-token")
        .args(update(&[]))
        .run()
        .exits(0);
}

#[test]
fn config_file_mistakes_say_what_to_write() {
    let home = Home::new("config-bad");
    let path = home.config("[profiles.a]\ntoken = \"t\"\n", 0o600);
    let run = home.katapult().args(update(&["--profile", "b"])).run();
    run.exits(2);
    assert!(
        run.stderr
            .contains("has no profile of that name (it has a)"),
        "{run:?}"
    );

    home.config(
        "default_profile = \"gone\"\n[profiles.a]\ntoken = \"t\"\n",
        0o600,
    );
    let run = home.katapult().args(update(&[])).run();
    run.exits(2);
    assert!(
        run.stderr.contains("default_profile is \"gone\""),
        "{run:?}"
    );

    home.config("[profiles.a]\ntoken = \"t\"\ntokn = \"typo\"\n", 0o600);
    let run = home.katapult().args(update(&["--profile", "a"])).run();
    run.exits(2);
    assert!(
        run.stderr
            .contains(&format!("the config file {} is not valid", path.display())),
        "{run:?}"
    );
    assert!(run.stderr.contains("tokn"), "{run:?}");

    std::fs::remove_file(&path).unwrap();
    let run = home.katapult().args(update(&["--profile", "a"])).run();
    run.exits(2);
    assert!(run.stderr.contains("there is no config file at"), "{run:?}");
}

#[test]
fn no_token_names_every_way_to_give_one() {
    let home = Home::new("no-token");
    let run = home.katapult().args(update(&[])).run();
    run.exits(2);
    for way in [
        "--token-file PATH",
        "--profile NAME",
        "KATAPULT_API_TOKEN",
        "[profiles.default]",
        "config/katapult/config.toml",
        "--mock",
    ] {
        assert!(run.stderr.contains(way), "{way}: {run:?}");
    }
}

#[test]
fn a_config_file_that_does_not_parse_names_the_file_and_the_line() {
    let home = Home::new("config-line");
    let path = home.config("[profiles.default]\ntoken = \"t\"\nbase_url = \n", 0o600);
    let run = home.katapult().args(update(&[])).run();
    run.exits(2);
    assert!(
        run.stderr
            .contains(&format!("{} is not valid at line 3", path.display())),
        "{run:?}"
    );
}

/// The last fallback: Krystal's own CLI config, its host given the API's
/// path.
#[test]
fn krystals_cli_config_is_read_last() {
    let home = Home::new("krystal");
    let server = disks();
    let yaml = home.file(
        ".katapult/katapult.yaml",
        &format!("api_token: krystal-token\napi_url: {}\n", server.base_url()),
        0o600,
    );
    home.katapult().args(update(&[])).run().exits(0);
    assert_eq!(token_seen(&server), "krystal-token");

    // The default profile comes first.
    let server = disks();
    home.config(
        &format!(
            "[profiles.default]\ntoken = \"profile-token\"\nbase_url = \"{}\"\n",
            server.base_url()
        ),
        0o600,
    );
    home.katapult().args(update(&[])).run().exits(0);
    assert_eq!(token_seen(&server), "profile-token");

    std::fs::write(&yaml, "api_token: [unclosed\n").unwrap();
    std::fs::remove_file(home.dir.join("config/katapult/config.toml")).unwrap();
    let run = home.katapult().args(update(&[])).run();
    run.exits(2);
    assert!(run.stderr.contains(&yaml.display().to_string()), "{run:?}");
    assert!(run.stderr.contains("at line"), "{run:?}");
}

/// `--ca-file` that is not PEM: a configuration error naming the file,
/// before anything is sent.
#[test]
fn a_ca_file_that_is_not_pem_is_refused_naming_it() {
    let home = Home::new("ca-file");
    let server = disks();
    let file = home.file("ca.pem", "not a certificate\n", 0o644);
    let run = home
        .katapult()
        .against(&server, "t")
        .args(update(&["--ca-file", file.to_str().unwrap()]))
        .run();
    run.exits(2);
    assert!(
        run.stderr
            .contains(&format!("the CA file {}", file.display())),
        "{run:?}"
    );
    assert!(run.stderr.contains("PEM"), "{run:?}");
    assert!(server.requests().is_empty());
}

/// `--rate-limit-pool`, or `KATAPULT_RATE_LIMIT_POOL` without it: the file
/// is created and holds the window's accounting after a command; one that
/// cannot be opened is a configuration error naming it, before anything is
/// sent.
#[test]
fn a_rate_limit_pool_file_is_created_or_refused_naming_it() {
    let home = Home::new("rate-limit-pool");
    let server = disks();
    let holds_a_record = |pool: &std::path::Path| {
        let record = std::fs::read_to_string(pool).unwrap();
        assert!(
            record.starts_with("# katapult-core rate-limit pool"),
            "{record}"
        );
        assert!(record.contains("window_secs=60 "), "{record}");
    };
    let pool = home.dir.join("token.pool");
    home.katapult()
        .against(&server, "t")
        .args(update(&["--rate-limit-pool", pool.to_str().unwrap()]))
        .run()
        .exits(0);
    holds_a_record(&pool);
    let from_env = home.dir.join("from-env.pool");
    home.katapult()
        .against(&server, "t")
        .env("KATAPULT_RATE_LIMIT_POOL", &from_env)
        .args(update(&[]))
        .run()
        .exits(0);
    holds_a_record(&from_env);
    let sent = server.requests().len();

    let missing = home.dir.join("no-such-folder").join("token.pool");
    let run = home
        .katapult()
        .against(&server, "t")
        .args(update(&["--rate-limit-pool", missing.to_str().unwrap()]))
        .run();
    run.exits(2);
    assert!(
        run.stderr.contains(&missing.display().to_string()),
        "{run:?}"
    );
    assert!(run.stderr.contains("nothing was sent"), "{run:?}");
    assert_eq!(server.requests().len(), sent);
}
