//! Running the built `katapult` binary as a black box: a clean environment
//! and a private config directory per test, a time limit on every run, and
//! a scripted HTTP server on 127.0.0.1 that records what it receives.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
            .env("KATAPULT_API_URL", server.url())
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

/// A request the server read.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    /// Names lower-cased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// What the server does with a request.
pub enum Reply {
    /// A complete response: status, extra headers, body.
    Answer(u16, Vec<(&'static str, String)>, String),
    /// Closes the connection without answering.
    Close,
    /// Answers nothing and keeps the connection open until the server stops.
    Hang,
}

impl Reply {
    /// A JSON answer with the headers Katapult sends.
    pub fn json(status: u16, request_number: usize, body: serde_json::Value) -> Self {
        Self::Answer(
            status,
            vec![
                ("content-type", "application/json".to_owned()),
                ("x-request-id", request_id(request_number)),
                ("x-ratelimit-permitted", "1000".to_owned()),
                ("x-ratelimit-remaining", (1000 - request_number).to_string()),
            ],
            body.to_string(),
        )
    }

    /// 200 with the disk the request names.
    pub fn disk(request: &Request, number: usize) -> Self {
        let id = request.json()["disk"]["id"].clone();
        Self::json(
            200,
            number,
            serde_json::json!({
                "disk": {"id": id, "name": "data", "state": "built", "size_in_gb": 20},
                "annotations": [],
            }),
        )
    }
}

/// The request id the server gives its `n`th request (1-based).
pub fn request_id(n: usize) -> String {
    format!("req-{n:04}")
}

type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

/// An HTTP/1.1 server on 127.0.0.1 that answers each request as the test
/// scripts, one connection per request.
pub struct Server {
    address: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let accept = {
            let (requests, stop) = (requests.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (requests, stop, handler) =
                        (requests.clone(), stop.clone(), handler.clone());
                    std::thread::spawn(move || serve(stream, &requests, &stop, &*handler));
                }
            })
        };
        Self {
            address,
            requests,
            stop,
            accept: Some(accept),
        }
    }

    /// A server that answers every request with the disk it names.
    pub fn disks() -> Self {
        Self::start(Reply::disk)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.address);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve(stream: TcpStream, requests: &Mutex<Vec<Request>>, stop: &AtomicBool, handler: &Handler) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(clone) => clone,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let request = Request {
        method,
        target,
        headers,
        body,
    };
    let number = {
        let mut all = requests.lock().unwrap();
        all.push(request.clone());
        all.len()
    };
    let mut stream = stream;
    match handler(&request, number) {
        Reply::Answer(status, headers, body) => {
            let mut head = format!("HTTP/1.1 {status} Scripted\r\n");
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str(&format!(
                "content-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            ));
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
        Reply::Close => {}
        Reply::Hang => {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// An address on 127.0.0.1 where nothing listens.
pub fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}

/// The current time as an HTTP date (`Date` header), from the system clock.
pub fn httpdate_now() -> String {
    httpdate(unix_now())
}

/// Seconds since the Unix epoch as an HTTP date.
pub fn httpdate(secs: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// Seconds since the Unix epoch, by the system clock.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
