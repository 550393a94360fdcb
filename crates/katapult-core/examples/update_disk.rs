//! Update a disk and print what Katapult answers:
//! `cargo run -p katapult-core --example update_disk -- --disk-id ID ...`
//! (`--help` lists the flags).
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

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{CommandFactory, Parser};
use katapult_core::types::{
    DiskArguments, DiskBusArgument, DiskIoProfileLookup, DiskLookup, StorageSpeedArgument,
    UpdateDiskBody, VirtualMachineDiskArguments,
};
use katapult_core::{Client, ClientBuilder, TOKEN_ENV};
use katapult_core_httpmock::KatapultMock;

#[derive(Parser)]
#[command(
    name = "update_disk",
    about = "Update a disk and print what Katapult answers.",
    override_usage = "update_disk --disk-id ID [--name NAME] [--bus-type scsi|virtio]
                   [--storage-speed nvme|ssd]
                   [--io-profile-id ID | --io-profile-permalink P]
                   [--attach-on-boot true|false] [--timeout SECONDS]",
    after_help = "Reads KATAPULT_API_TOKEN and KATAPULT_API_URL; without a token, runs against \
                  a built-in mock server.",
    // The last of a repeated flag wins.
    args_override_self = true
)]
struct Args {
    #[arg(long, value_name = "ID")]
    disk_id: String,
    #[arg(long)]
    name: Option<String>,
    #[arg(long, value_parser = PossibleValuesParser::new(["scsi", "virtio"])
        .try_map(|v| v.parse::<DiskBusArgument>()))]
    bus_type: Option<DiskBusArgument>,
    #[arg(long, value_parser = PossibleValuesParser::new(["nvme", "ssd"])
        .try_map(|v| v.parse::<StorageSpeedArgument>()))]
    storage_speed: Option<StorageSpeedArgument>,
    // The body holds one I/O profile lookup: two flags would drop one.
    #[arg(long, value_name = "ID", conflicts_with = "io_profile_permalink")]
    io_profile_id: Option<String>,
    #[arg(long, value_name = "P")]
    io_profile_permalink: Option<String>,
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    attach_on_boot: Option<bool>,
    #[arg(long, value_name = "SECONDS", value_parser = seconds, allow_negative_numbers = true)]
    timeout: Option<Duration>,
}

fn seconds(raw: &str) -> Result<Duration, String> {
    raw.parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("takes a positive number of seconds, not {raw:?}"))
}

impl Args {
    fn body(self) -> UpdateDiskBody {
        let by_id = self.io_profile_id.map(DiskIoProfileLookup::Id);
        let by_permalink = self
            .io_profile_permalink
            .map(DiskIoProfileLookup::Permalink);
        UpdateDiskBody {
            disk: DiskLookup { id: self.disk_id },
            properties: DiskArguments {
                name: self.name,
                bus_type: self.bus_type,
                storage_speed: self.storage_speed,
                io_profile: by_id.or(by_permalink),
                virtual_machine_disk: self.attach_on_boot.map(|attach| {
                    VirtualMachineDiskArguments {
                        attach_on_boot: Some(attach),
                        ..Default::default()
                    }
                }),
                ..Default::default()
            },
            annotations: None,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        // `--help`: on stdout, exit 0.
        Err(help) if !help.use_stderr() => help.exit(),
        // Wrong arguments: the error, always with the usage, and exit 2.
        Err(error) => {
            let text = error.render().to_string();
            eprint!("{text}");
            if !text.contains("Usage:") {
                eprintln!("\n{}", Args::command().render_usage());
            }
            return ExitCode::from(2);
        }
    };
    // Lives until the end of the run when there is no token.
    let mock = match std::env::var(TOKEN_ENV) {
        Ok(_) => None,
        Err(_) => Some(KatapultMock::start().await),
    };
    let builder = match &mock {
        None => ClientBuilder::from_env(),
        Some(server) => {
            eprintln!(
                "{TOKEN_ENV} is not set: running against a built-in mock server at {} \
                 (no account, no network). Set {TOKEN_ENV} to call Katapult.",
                server.base_url()
            );
            Ok(Client::builder()
                .token("mock-token")
                .base_url(server.base_url()))
        }
    };
    let result = async {
        let mut builder = builder?.user_agent_product("update-disk-example");
        if let Some(timeout) = args.timeout {
            builder = builder.timeout(timeout);
        }
        builder.build()?.update_disk(args.body()).await
    }
    .await;
    let message = match result {
        // The body as received, not as re-encoded: every field and `null`
        // the server sent, including fields this client does not know.
        Ok(response) => match serde_json::from_slice::<serde_json::Value>(response.raw_body()) {
            Ok(body) => {
                println!("{body:#}");
                return ExitCode::SUCCESS;
            }
            Err(error) => format!("cannot print the response: {error}"),
        },
        Err(error) => error.to_string(),
    };
    eprintln!("error: {message}");
    ExitCode::FAILURE
}
