//! Katapult's tasks on the real clock: each task follows a [`TaskTrace`]
//! from the moment it is added, and `GET /tasks/task?task%5Bid%5D=…` reads
//! it as Katapult answers (`{"task": {id, name, status, created_at,
//! started_at, finished_at, progress}}`, timestamps in whole unix seconds,
//! null until then; 404 `task_not_found` for an id it does not hold).
//!
//! The board counts every read of each task, so a benchmark can tell how
//! many requests a wait cost, and says when each task completes, so it can
//! tell how long after that the waiter saw it.
//!
//! ```
//! use katapult_test_server::tasks::TaskBoard;
//! use katapult_test_server::task_traces::TaskTrace;
//!
//! let board = TaskBoard::new();
//! let trace = TaskTrace { started: 0.5, finished: 2.0, curve: vec![(0.0, 5.0), (1.0, 5.0)] };
//! let answered = board.add("task_1", "Grow disk", trace);
//! assert_eq!(answered["status"], "pending");
//! assert_eq!(board.reads("task_1"), 0);
//! ```

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::task_traces::{TaskState, TaskTrace};
use crate::{Reply, Request, envelope, katapult};

/// The tasks a server holds, each on its own trace.
#[derive(Debug, Default)]
pub struct TaskBoard {
    tasks: Mutex<HashMap<String, Entry>>,
}

#[derive(Debug)]
struct Entry {
    name: String,
    trace: TaskTrace,
    added: Instant,
    /// `added` on the system clock, unix seconds.
    added_unix: f64,
    reads: usize,
}

impl Entry {
    fn json(&self, id: &str, state: TaskState) -> Value {
        let (status, progress) = match state {
            TaskState::Pending => ("pending", 0),
            TaskState::Running(progress) => ("running", progress),
            TaskState::Completed => ("completed", 100),
        };
        let unix = |offset: f64| (self.added_unix + offset).floor() as i64;
        let started = (state != TaskState::Pending).then(|| unix(self.trace.started));
        let finished = (state == TaskState::Completed).then(|| unix(self.trace.finished));
        json!({
            "id": id,
            "name": self.name,
            "status": status,
            "created_at": unix(0.0),
            "started_at": started,
            "finished_at": finished,
            "progress": progress,
        })
    }
}

impl TaskBoard {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a task that follows `trace` from now on, and returns it as the
    /// write that created it answers it (`pending`, progress 0). A task of
    /// the same id is replaced.
    pub fn add(&self, id: &str, name: &str, trace: TaskTrace) -> Value {
        let added_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_secs_f64();
        let entry = Entry {
            name: name.to_owned(),
            trace,
            added: Instant::now(),
            added_unix,
            reads: 0,
        };
        let task = entry.json(id, TaskState::Pending);
        self.tasks.lock().unwrap().insert(id.to_owned(), entry);
        task
    }

    /// When the task `id` reads `completed` from, on the monotonic clock.
    pub fn completes_at(&self, id: &str) -> Option<Instant> {
        let tasks = self.tasks.lock().unwrap();
        let entry = tasks.get(id)?;
        Some(entry.added + Duration::from_secs_f64(entry.trace.finished))
    }

    /// How many times the task `id` has been read.
    pub fn reads(&self, id: &str) -> usize {
        self.tasks
            .lock()
            .unwrap()
            .get(id)
            .map_or(0, |entry| entry.reads)
    }

    /// Answers `GET /tasks/task?task%5Bid%5D=…` (or `task[id]=`) with the
    /// task as it reads now, counting the read; anything else is 404
    /// `route_not_found`, an unknown id 404 `task_not_found`.
    pub fn answer(&self, request: &Request) -> Reply {
        let (path, query) = request
            .target()
            .split_once('?')
            .unwrap_or((request.target(), ""));
        let id = query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == "task%5Bid%5D" || key == "task[id]").then_some(value)
        });
        let request_id = format!("req-task-{}", id.unwrap_or_default());
        if request.method() != "GET" || !path.ends_with("/tasks/task") {
            let body = envelope("route_not_found", "No route matches", "{}");
            return Reply::KeepAlive(katapult(404, body, &request_id));
        }
        let mut tasks = self.tasks.lock().unwrap();
        let Some((id, entry)) = id.and_then(|id| tasks.get_mut(id).map(|entry| (id, entry))) else {
            let body = envelope(
                "task_not_found",
                "No task was found matching any of the criteria provided in the arguments",
                "{}",
            );
            return Reply::KeepAlive(katapult(404, body, &request_id));
        };
        entry.reads += 1;
        let state = entry.trace.state_at(entry.added.elapsed().as_secs_f64());
        let task = entry.json(id, state);
        Reply::KeepAlive(katapult(
            200,
            json!({ "task": task }).to_string(),
            &request_id,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Server;

    fn get(id: &str) -> Request {
        let head = format!("GET /tasks/task?task%5Bid%5D={id} HTTP/1.1\r\nhost: x\r\n\r\n");
        match crate::server::parse(head.as_bytes()) {
            crate::server::Parsed::Request(request, _) => request,
            _ => unreachable!("a well-formed request"),
        }
    }

    fn body(reply: Reply) -> Value {
        let Reply::KeepAlive(bytes) = reply else {
            panic!("a keep-alive answer");
        };
        let text = String::from_utf8(bytes).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn a_task_reads_as_its_trace_says_and_counts_its_reads() {
        let board = TaskBoard::new();
        let trace = TaskTrace {
            started: 0.0,
            finished: 3600.0,
            curve: vec![(0.0, 40.0), (1.0, 40.0)],
        };
        let answered = board.add("task_a", "Grow disk", trace);
        assert_eq!(answered["id"], "task_a");
        assert_eq!(answered["started_at"], Value::Null);
        let read = body(board.answer(&get("task_a")));
        assert_eq!(read["task"]["status"], "running");
        assert_eq!(read["task"]["progress"], 40);
        assert_eq!(read["task"]["name"], "Grow disk");
        assert!(read["task"]["started_at"].is_i64());
        assert_eq!(read["task"]["finished_at"], Value::Null);
        assert_eq!(board.reads("task_a"), 1);
        assert!(board.completes_at("task_a").unwrap() > Instant::now());
    }

    #[test]
    fn a_finished_task_reads_completed_and_an_unknown_one_is_404() {
        let board = TaskBoard::new();
        let trace = TaskTrace {
            started: 0.0,
            finished: 0.0,
            curve: vec![(0.0, 0.0), (1.0, 0.0)],
        };
        board.add("task_b", "Build disk", trace);
        let read = body(board.answer(&get("task_b")));
        assert_eq!(read["task"]["status"], "completed");
        assert_eq!(read["task"]["progress"], 100);
        assert!(read["task"]["finished_at"].is_i64());
        let missing = body(board.answer(&get("task_nope")));
        assert_eq!(missing["error"]["code"], "task_not_found");
        assert_eq!(board.reads("task_nope"), 0);
    }

    #[tokio::test]
    async fn it_answers_over_http() {
        let board = std::sync::Arc::new(TaskBoard::new());
        let server = {
            let board = board.clone();
            Server::start(move |request, _| board.answer(request)).await
        };
        let trace = TaskTrace {
            started: 0.0,
            finished: 0.0,
            curve: vec![(0.0, 0.0), (1.0, 0.0)],
        };
        board.add("task_c", "Grow disk", trace);
        let address = server.base_url().trim_start_matches("http://").to_owned();
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(b"GET /tasks/task?task%5Bid%5D=task_c HTTP/1.1\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        let read = tokio::time::timeout(Duration::from_secs(10), async {
            let mut chunk = [0u8; 4096];
            while !answer.contains("\"completed\"") {
                let n = stream.read(&mut chunk).await.unwrap();
                if n == 0 {
                    break;
                }
                answer.push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        read.await.expect("the server answers within 10 s");
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert_eq!(board.reads("task_c"), 1);
    }
}
