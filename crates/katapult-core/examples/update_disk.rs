//! Update a disk and print what Katapult answers.
//!
//! ```text
//! cargo run -p katapult-core --example update_disk -- --disk-id ID [--name NAME]
//!     [--bus-type scsi|virtio] [--storage-speed nvme|ssd]
//!     [--io-profile-id ID | --io-profile-permalink P]
//!     [--attach-on-boot true|false] [--timeout SECONDS]
//! ```
//!
//! With `KATAPULT_API_TOKEN` set it calls `KATAPULT_API_URL` (default
//! <https://api.katapult.io/core/v1>). Without a token it starts a mock
//! Katapult in this process and updates the disk there: a full round trip
//! with no account and no network.
//!
//! Exit status: 0 with the response body as JSON on stdout; 1 with the error
//! on stderr; 2 with usage on stderr when the arguments are wrong.

use std::process::ExitCode;
use std::time::Duration;

use katapult_core::types::{
    DiskArguments, DiskBusArgument, DiskIoProfileLookup, DiskLookup, StorageSpeedArgument,
    UpdateDiskBody, VirtualMachineDiskArguments,
};
use katapult_core::{Client, ClientBuilder, TOKEN_ENV};
use katapult_core_httpmock::KatapultMock;

const USAGE: &str = "\
usage: update_disk --disk-id ID [--name NAME] [--bus-type scsi|virtio]
                   [--storage-speed nvme|ssd]
                   [--io-profile-id ID | --io-profile-permalink P]
                   [--attach-on-boot true|false] [--timeout SECONDS]

Reads KATAPULT_API_TOKEN and KATAPULT_API_URL; without a token, runs against
a built-in mock server.";

struct Args {
    body: UpdateDiskBody,
    timeout: Option<Duration>,
}

fn parse_args() -> Result<Args, String> {
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_env();
    let mut disk_id = None;
    let mut properties = DiskArguments::default();
    let mut timeout = None;
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("disk-id") => disk_id = Some(value(&mut parser)?),
            Long("name") => properties.name = Some(value(&mut parser)?),
            Long("bus-type") => {
                properties.bus_type = Some(choice::<DiskBusArgument>(
                    "--bus-type",
                    "scsi or virtio",
                    &value(&mut parser)?,
                )?)
            }
            Long("storage-speed") => {
                properties.storage_speed = Some(choice::<StorageSpeedArgument>(
                    "--storage-speed",
                    "nvme or ssd",
                    &value(&mut parser)?,
                )?)
            }
            Long("io-profile-id") => set_io_profile(
                &mut properties,
                DiskIoProfileLookup::Id(value(&mut parser)?),
            )?,
            Long("io-profile-permalink") => set_io_profile(
                &mut properties,
                DiskIoProfileLookup::Permalink(value(&mut parser)?),
            )?,
            Long("attach-on-boot") => {
                let attach = match value(&mut parser)?.as_str() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(format!(
                            "--attach-on-boot takes true or false, not {other:?}"
                        ));
                    }
                };
                properties
                    .virtual_machine_disk
                    .get_or_insert_with(VirtualMachineDiskArguments::default)
                    .attach_on_boot = Some(attach);
            }
            Long("timeout") => {
                let raw = value(&mut parser)?;
                let seconds: f64 = raw
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| {
                        format!("--timeout takes a positive number of seconds, not {raw:?}")
                    })?;
                timeout = Some(Duration::from_secs_f64(seconds));
            }
            Short('h') | Long("help") => return Err(String::new()),
            other => return Err(other.unexpected().to_string()),
        }
    }
    let id = disk_id.ok_or("--disk-id is required")?;
    Ok(Args {
        body: UpdateDiskBody {
            disk: DiskLookup { id },
            properties,
            annotations: None,
        },
        timeout,
    })
}

fn value(parser: &mut lexopt::Parser) -> Result<String, String> {
    parser
        .value()
        .map_err(|e| e.to_string())?
        .into_string()
        .map_err(|raw| format!("{raw:?} is not valid UTF-8"))
}

fn choice<T: std::str::FromStr>(flag: &str, allowed: &str, raw: &str) -> Result<T, String> {
    raw.parse()
        .map_err(|_| format!("{flag} takes {allowed}, not {raw:?}"))
}

fn set_io_profile(
    properties: &mut DiskArguments,
    lookup: DiskIoProfileLookup,
) -> Result<(), String> {
    // The type holds one lookup; two flags would silently drop one.
    if properties.io_profile.replace(lookup).is_some() {
        return Err("give --io-profile-id or --io-profile-permalink, not both".to_owned());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };

    // Keeps the mock server alive for the whole run when there is one.
    let mut mock = None;
    let builder = match std::env::var(TOKEN_ENV) {
        Ok(_) => ClientBuilder::from_env(),
        Err(_) => {
            let server = KatapultMock::start().await;
            eprintln!(
                "{TOKEN_ENV} is not set: running against a built-in mock server at {} \
                 (no account, no network). Set {TOKEN_ENV} to call Katapult.",
                server.base_url()
            );
            let builder = Client::builder()
                .token("mock-token")
                .base_url(server.base_url());
            mock = Some(server);
            Ok(builder)
        }
    };
    let builder = builder.map(|b| b.user_agent_product("update-disk-example"));
    let builder = match args.timeout {
        Some(timeout) => builder.map(|b| b.timeout(timeout)),
        None => builder,
    };

    let result = match builder.and_then(ClientBuilder::build) {
        Ok(client) => client.update_disk(args.body).await,
        Err(error) => Err(error),
    };
    drop(mock);
    match result {
        // The body as received, not as re-encoded: every field and `null`
        // the server sent, including fields this client does not know.
        Ok(response) => match serde_json::from_slice::<serde_json::Value>(response.raw_body())
            .and_then(|body| serde_json::to_string_pretty(&body))
        {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: cannot print the response: {error}");
                ExitCode::FAILURE
            }
        },
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
