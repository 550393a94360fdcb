//! Governors sharing a pool file (`governor/pool.rs`), on the simulated
//! timeline of the parent module.

use super::*;

/// A fresh path for a pool file in the system's temporary folder, removed
/// when the guard drops.
struct ScratchFile(std::path::PathBuf);

impl ScratchFile {
    fn new(name: &str) -> Self {
        let unique = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "katapult-core-{name}-{}-{unique}.pool",
            std::process::id()
        ));
        Self(path)
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Sim {
    /// A governor on `sim`'s server clock whose accounting goes through the
    /// pool file at `path`.
    fn pooled(window: u64, base: f64, path: &std::path::Path) -> Self {
        let pool = Pool::open(path, window).unwrap();
        Self {
            governor: Governor::new(Duration::from_secs(window), true, Some(pool)),
            base,
        }
    }
}

/// Two governors that have both heard a window at `Remaining: 8` of 10,
/// each from its own first request; `path` pools them if given.
fn two_clients(path: Option<&std::path::Path>) -> (Sim, Sim) {
    let first = Sim::new(10, 1.0);
    let (first, second) = match path {
        Some(path) => (
            Sim::pooled(10, first.base, path),
            Sim::pooled(10, first.base, path),
        ),
        None => {
            let base = first.base;
            (
                first,
                Sim {
                    base,
                    ..Sim::new(10, 1.0)
                },
            )
        }
    };
    let permit = first.go(0.0);
    first.ok(permit, 0.0, 10, 9);
    let permit = second.go(0.1);
    second.ok(permit, 0.1, 10, 8);
    (first, second)
}

#[test]
fn clients_on_one_pool_file_count_each_others_requests_in_flight() {
    let file = ScratchFile::new("in-flight");
    let (first, second) = two_clients(Some(&file.0));
    let mut flying = Vec::new();
    for step in 0..4 {
        flying.push(first.go(0.2 + f64::from(step) * 0.01));
    }
    // The second sees the first's four in flight: four of the eight left.
    for step in 0..4 {
        flying.push(second.go(0.3 + f64::from(step) * 0.01));
    }
    let hold = second.hold(0.4);
    assert_eq!(hold.reason, HoldReason::InFlight);
    let hold = first.hold(0.4);
    assert_eq!(hold.reason, HoldReason::InFlight);

    let text = std::fs::read_to_string(&file.0).unwrap();
    assert!(text.contains("window_secs=10 "), "{text}");
    assert!(text.contains(" in_flight=8 "), "{text}");

    // Each answers its own; the second's last answers spend the window,
    // and the first learns that from the file: both wait for the next.
    for (step, (left, permit)) in (0..8).rev().zip(flying).enumerate() {
        let sim = if step < 4 { &first } else { &second };
        sim.ok(permit, 0.5, 10, left);
    }
    assert_eq!(first.hold(0.6).reason, HoldReason::Spent);
    assert_eq!(second.hold(0.6).reason, HoldReason::Spent);
    let next = first.next_boundary(0.6) + 0.1;
    let _first = first.go(next);
    let _second = second.go(next);
}

#[test]
fn a_client_that_joins_a_pool_paces_from_its_first_request() {
    let file = ScratchFile::new("newcomer");
    let (first, _) = two_clients(Some(&file.0));
    let flying: Vec<_> = (0..8)
        .map(|step| first.go(0.2 + f64::from(step) * 0.01))
        .collect();
    // A process started now, while the window's last units are in flight,
    // knows the budget and the server's clock from the file: it holds its
    // first request instead of sending it blind to learn them.
    let newcomer = Sim::pooled(10, first.base, &file.0);
    assert_eq!(newcomer.hold(0.3).reason, HoldReason::InFlight);
    for (left, permit) in (0..8).rev().zip(flying) {
        first.ok(permit, 0.4, 10, left);
    }
    let hold = newcomer.hold(0.5);
    assert_eq!(hold.reason, HoldReason::Spent);
    let next = first.next_boundary(0.5);
    let reopens = hold.reopens.expect("the server's clock is known");
    assert!(
        (reopens - next).abs() < 0.05,
        "{hold:?}, next window at {next}"
    );
    let _first = newcomer.go(next + 0.1);
}

#[test]
fn clients_without_a_pool_each_claim_what_is_left() {
    // The same two clients unpooled: each takes all eight, so together
    // they send twice what the window has left. What the pool is for.
    let (first, second) = two_clients(None);
    let flying: Vec<_> = (0..8)
        .flat_map(|step| {
            let at = 0.2 + f64::from(step) * 0.01;
            [first.go(at), second.go(at)]
        })
        .collect();
    assert_eq!(flying.len(), 16);
}

#[test]
fn a_file_that_is_not_a_pool_file_is_never_written() {
    let file = ScratchFile::new("not-a-pool");
    std::fs::write(&file.0, "export PATH=...\n").unwrap();
    let error = Pool::open(&file.0, 10).unwrap_err();
    assert!(
        error.to_string().contains("does not overwrite it"),
        "{error}"
    );
    assert_eq!(
        std::fs::read_to_string(&file.0).unwrap(),
        "export PATH=...\n"
    );

    // Replaced after it was opened: the governor paces on its own view
    // and leaves the file alone.
    std::fs::write(&file.0, "").unwrap();
    let base = Sim::new(10, 1.0).base;
    let sim = Sim::pooled(10, base, &file.0);
    std::fs::write(&file.0, "something else\n").unwrap();
    let permit = sim.go(0.0);
    sim.ok(permit, 0.0, 10, 9);
    assert_eq!(
        std::fs::read_to_string(&file.0).unwrap(),
        "something else\n"
    );
}

#[test]
fn a_pool_file_whose_record_does_not_parse_is_started_afresh() {
    let file = ScratchFile::new("garbage");
    std::fs::write(
        &file.0,
        "# katapult-core rate-limit pool\nwindow_secs=10 cut sh",
    )
    .unwrap();
    let base = Sim::new(10, 1.0).base;
    let sim = Sim::pooled(10, base, &file.0);
    let permit = sim.go(0.0);
    sim.ok(permit, 0.0, 10, 9);
    let text = std::fs::read_to_string(&file.0).unwrap();
    assert!(
        text.starts_with("# katapult-core rate-limit pool"),
        "{text}"
    );
    assert!(text.contains(" remaining=9 "), "{text}");

    // A record of another window length is replaced, not followed.
    let other = Sim::pooled(5, base, &file.0);
    let permit = other.go(0.0);
    other.ok(permit, 0.0, 10, 4);
    let text = std::fs::read_to_string(&file.0).unwrap();
    assert!(text.contains("window_secs=5 "), "{text}");
    assert!(text.contains(" remaining=4 "), "{text}");
}

#[test]
fn a_pool_file_locked_by_a_stopped_process_does_not_stop_requests() {
    let file = ScratchFile::new("locked");
    let (first, _second) = two_clients(Some(&file.0));
    let holder = std::fs::OpenOptions::new()
        .write(true)
        .open(&file.0)
        .unwrap();
    holder.lock().unwrap();
    let started = Instant::now();
    // Decided on its own view (8 left, nothing in flight) once the lock
    // does not come.
    let _permit = first.go(0.2);
    assert!(started.elapsed() >= Duration::from_millis(100));
    // The next decisions do not wait for it again.
    let started = Instant::now();
    let _permit = first.go(0.21);
    assert!(started.elapsed() < Duration::from_millis(50));
    holder.unlock().unwrap();
    // After the pause, the pool again: the file sees this client's requests.
    std::thread::sleep(Duration::from_millis(1100));
    let before = std::fs::read_to_string(&file.0).unwrap();
    let _permit = first.go(0.22);
    let after = std::fs::read_to_string(&file.0).unwrap();
    assert_ne!(before, after);
}

#[test]
fn a_request_held_in_a_pool_sees_budget_another_process_frees() {
    let file = ScratchFile::new("recheck");
    let (first, second) = two_clients(Some(&file.0));
    let mut theirs: Vec<_> = (0..4)
        .map(|step| first.go(0.01 * f64::from(step)))
        .collect();
    let _ours: Vec<_> = (0..4)
        .map(|step| second.go(0.01 * f64::from(step)))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        // All eight left are in flight: the second's next request is held,
        // and what frees a place is the first's, which wakes nobody in the
        // second. Re-reading the file (every 0.2 s of this 10 s window)
        // finds it long before the next window, 9 s away.
        let waiting = second.governor.acquire(far_future(Instant::now()), "test");
        let freeing = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(theirs.pop());
        };
        let both = async { tokio::join!(waiting, freeing) };
        let (permit, ()) = tokio::time::timeout(Duration::from_secs(3), both)
            .await
            .expect("held until the next window");
        assert!(permit.is_ok());
    });
}
