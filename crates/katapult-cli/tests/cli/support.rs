//! Running the built `katapult` binary as a black box: a clean environment
//! and a private config directory per test, a time limit on every run, and
//! the answers of the scripted server on 127.0.0.1 (`katapult_test_server`,
//! on a runtime of its own) that the CLI's tests give.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub use katapult_test_server::{Reply, Request, Server};
use katapult_test_server::{overridden, response};

/// No run of the binary may take longer than this; the tests' own timeouts
/// are far below it, so reaching it means a hang.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// What a run of the binary left behind.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}): {self:?}"))
    }

    /// Asserts the exit code, showing the whole run when it differs.
    #[track_caller]
    pub fn exits(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "{self:#?}");
        self
    }
}

/// A directory of its own for one test: config home, token files, inputs.
pub struct Home {
    pub dir: PathBuf,
}

impl Home {
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "katapult-cli-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("config/katapult")).unwrap();
        Self { dir }
    }

    /// Writes a file under the directory with the given Unix mode.
    pub fn file(&self, name: &str, contents: &str, mode: u32) -> PathBuf {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        set_mode(&path, mode);
        path
    }

    /// Writes `$XDG_CONFIG_HOME/katapult/config.toml`.
    pub fn config(&self, contents: &str, mode: u32) -> PathBuf {
        self.file("config/katapult/config.toml", contents, mode)
    }

    /// The binary, with an environment holding nothing of the caller's:
    /// no token, no URL, this directory as the config home.
    pub fn katapult(&self) -> Katapult {
        let mut command = Command::new(env!("CARGO_BIN_EXE_katapult"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"));
        Katapult {
            command,
            stdin: None,
        }
    }

    /// The binary with `args`, its stdout and stderr a terminal: run under
    /// util-linux `script`, which gives it a pseudo-terminal and copies
    /// what it writes there to this run's stdout.
    #[cfg(target_os = "linux")]
    pub fn katapult_in_a_terminal(&self, args: &[&str]) -> Katapult {
        let quote = |arg: &str| format!("'{}'", arg.replace('\'', "'\\''"));
        let line = std::iter::once(env!("CARGO_BIN_EXE_katapult"))
            .chain(args.iter().copied())
            .map(quote)
            .collect::<Vec<_>>()
            .join(" ");
        let mut command = Command::new("script");
        command
            .args(["--quiet", "--return", "--command", &line, "/dev/null"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("SHELL", "/bin/sh")
            .env("HOME", &self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"));
        Katapult {
            command,
            stdin: None,
        }
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) {}

/// One invocation being set up.
pub struct Katapult {
    command: Command,
    stdin: Option<String>,
}

impl Katapult {
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.env(name, value);
        self
    }

    /// Points the binary at `server` with `token`, through the environment.
    pub fn against(self, server: &Server, token: &str) -> Self {
        self.env("KATAPULT_API_TOKEN", token)
            .env("KATAPULT_API_URL", server.base_url())
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self
    }

    /// Runs it to the end, killing it past [`RUN_LIMIT`].
    #[track_caller]
    pub fn run(mut self) -> Run {
        self.command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("the katapult binary starts");
        if let Some(text) = self.stdin.take() {
            let mut stdin = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = stdin.write_all(text.as_bytes());
            });
        }
        // Read both pipes on threads so a full pipe cannot stall the child.
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        let err = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > RUN_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("katapult ran longer than {RUN_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        Run {
            code: status.code(),
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        }
    }
}

/// The headers Katapult sends, on the server's `n`th answer.
fn katapult_headers(n: usize) -> [(&'static str, String); 4] {
    [
        ("content-type", "application/json".to_owned()),
        ("x-request-id", request_id(n)),
        ("x-ratelimit-permitted", "1000".to_owned()),
        ("x-ratelimit-remaining", (1000 - n).to_string()),
    ]
}

/// A complete answer, then the connection closed: one request per
/// connection, as the binary's runs are short.
pub fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
    let closing = overridden(headers, &[("connection", "close")]);
    Reply::Close(response(status, &closing, body))
}

/// A JSON answer with the headers Katapult sends on its `n`th answer,
/// `overrides` replacing (or, with an empty value, removing) them.
pub fn json_with(
    status: u16,
    n: usize,
    body: serde_json::Value,
    overrides: &[(&str, &str)],
) -> Reply {
    let headers = katapult_headers(n);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    answer(status, &overridden(&headers, overrides), &body.to_string())
}

/// A JSON answer with the headers Katapult sends on its `n`th answer.
pub fn json(status: u16, n: usize, body: serde_json::Value) -> Reply {
    json_with(status, n, body, &[])
}

/// 200 with the disk the request names, `overrides` applied to the headers.
pub fn disk_with(request: &Request, n: usize, overrides: &[(&str, &str)]) -> Reply {
    let id = request.json()["disk"]["id"].clone();
    let body = serde_json::json!({
        "disk": {"id": id, "name": "data", "state": "built", "size_in_gb": 20},
        "annotations": [],
    });
    json_with(200, n, body, overrides)
}

/// 200 with the disk the request names.
pub fn disk(request: &Request, n: usize) -> Reply {
    disk_with(request, n, &[])
}

/// The request id the server gives its `n`th request (1-based).
pub fn request_id(n: usize) -> String {
    format!("req-{n:04}")
}

/// A server on 127.0.0.1 that answers every request with the disk it names.
pub fn disks() -> Server {
    Server::start_in_background(disk)
}
