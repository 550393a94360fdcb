//! Counts live heap bytes and their high-water mark per thread, for the
//! body-limit tests (`faults::size`).
//!
//! Per thread, so that the other tests of this binary, running at the same
//! time on other threads, do not count: a `#[tokio::test]` runs the client,
//! the connection tasks and the loopback server on its own thread. A
//! `realloc` is counted as old + new until it returns, so the peak is an
//! upper bound. Memory freed on another thread than the one that allocated
//! it lowers that other thread's count; only differences within one thread
//! are read.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // `const` initialisers with no destructor: reading them never allocates,
    // which an allocator must not do.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grew(bytes: usize) {
    let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
    // `try_with`: during thread teardown the counters may be gone already.
    let _ = LIVE.try_with(|live| {
        let now = live.get().saturating_add(bytes);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn shrank(bytes: usize) {
    let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(bytes)));
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(pointer, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size);
        // SAFETY: forwarded with the caller's guarantees.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        shrank(if moved.is_null() {
            new_size
        } else {
            layout.size()
        });
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most heap (beyond what was live at the start) this thread used while
/// `future` ran. Call it from a current-thread runtime (`#[tokio::test]`).
pub(crate) async fn peak_heap<F: Future>(future: F) -> (F::Output, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    let output = future.await;
    let peak = PEAK.with(Cell::get).saturating_sub(base);
    (output, usize::try_from(peak).unwrap_or(0))
}
