//! What the types promise at compile time: a client and everything a call
//! returns can move between tasks and threads and outlive the scope that
//! made it, and a client clone is one reference-count increment.

use katapult_core::types::UpdateDiskResponse;
use katapult_core::{
    BulkChanges, BulkResult, BulkUpdates, CallOptions, ChangeReport, Client, DeadlineExceeded,
    Error, Hook, Response, TokenProvider,
};

fn send_sync_static<T: Send + Sync + 'static>() {}
fn send_static<T: Send + 'static>() {}

#[test]
fn shared_types_are_send_sync_and_static() {
    send_sync_static::<Client>();
    send_sync_static::<Error>();
    send_sync_static::<DeadlineExceeded>();
    send_sync_static::<Response<UpdateDiskResponse>>();
    send_sync_static::<BulkResult>();
    send_sync_static::<BulkResult<ChangeReport>>();
    send_sync_static::<CallOptions>();
    // Installed hooks and providers are shared by every clone's calls.
    send_sync_static::<std::sync::Arc<dyn Hook>>();
    send_sync_static::<std::sync::Arc<dyn TokenProvider>>();
}

#[test]
fn streams_are_send_and_static() {
    // A stream is polled through `&mut`: `Sync` would promise nothing a
    // caller can use, so it is not asked for.
    send_static::<BulkUpdates>();
    send_static::<BulkChanges>();
}

#[test]
fn calls_are_send_futures() {
    fn send<F: Send>(_: &F) {}
    let client = Client::builder().token("t").build().unwrap();
    let body = crate::support::rename("disk_1", "x");
    // Built, not awaited: a future that sends nothing until polled.
    let call = client.update_disk(body);
    send(&call);
    let change = katapult_core::DiskChange::new("disk_1").name("x");
    let change = client.change_disk(&change, katapult_core::ChangeOptions::default());
    send(&change);
}

#[test]
fn a_client_is_one_pointer() {
    assert_eq!(std::mem::size_of::<Client>(), std::mem::size_of::<usize>());
    assert_eq!(
        std::mem::size_of::<Option<Client>>(),
        std::mem::size_of::<usize>()
    );
}

/// One pointer could still point at a deep copy: a clone allocating
/// nothing, and sharing the client's governor, is what one reference-count
/// increment looks like from outside.
#[tokio::test]
async fn a_client_clone_allocates_nothing_and_shares_the_client() {
    struct Quiet;
    impl Hook for Quiet {}
    let client = Client::builder().token("t").hook(Quiet).build().unwrap();
    let mut clones = Vec::with_capacity(100);
    let ((), peak) = crate::heap::peak_heap(async {
        for _ in 0..100 {
            clones.push(client.clone());
        }
    })
    .await;
    assert_eq!(peak, 0, "100 clones allocated {peak} bytes");
    assert_eq!(clones.len(), 100);
    // What a clone reports is the client's own, not a copy made at clone time.
    assert_eq!(format!("{:?}", clones[99]), format!("{client:?}"));
}
