//! The command line, declared once: commands, options, help text and the
//! exit codes the help documents. The request's own flags come from the
//! fragment ([`crate::generated`]); everything here is about how to send.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::generated::{
    AssignDiskFlags, AttachDiskFlags, ChangeDiskIoProfileFlags, DetachDiskFlags, DiskChangeFlags,
    ResizeDiskFlags, UnassignDiskFlags, UpdateDiskFlags,
};

/// The exit codes, as `--help` and the crate's README.md state them.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  Katapult, or a proxy in front of it, refused the request (the error names its request id),
     or the token's rate limit is spent until after the call's deadline
  2  usage or configuration error; nothing was sent
  3  transport failure (connect, timeout, broken connection); the message says whether the
     write may have been applied: after a failed connect nothing reached the API, after a
     timeout or a broken connection it may have been
  4  a response that cannot be used (the write was probably applied: `katapult disk get` shows)
  5  a bug in katapult itself; the message says whether a response had arrived. Please report it
With --from: 0 when every line succeeded, 1 otherwise (2 when nothing could be run at all).";

/// Where credentials come from, as `--help` states it.
const CREDENTIALS: &str = "\
Credentials, first found wins:
  1. the command line: --token-file PATH, --profile NAME
  2. the environment: KATAPULT_API_TOKEN, KATAPULT_API_URL
  3. the default profile of $XDG_CONFIG_HOME/katapult/config.toml (~/.config/katapult/...;
     on Windows %APPDATA%\\katapult\\config.toml)
  4. Krystal's katapult CLI config, ~/.katapult/katapult.yaml (api_token, api_url)
A file holding a token that other users can read is refused (not checked on Windows).";

/// Read and change Katapult disks, and wait for their tasks, from a shell or a script.
#[derive(Debug, Parser)]
#[command(
    name = "katapult",
    version,
    arg_required_else_help = true,
    after_help = format!("{CREDENTIALS}\n\n{EXIT_CODES}"),
)]
pub struct Cli {
    /// How to reach Katapult: credentials, timeouts, diagnostics.
    #[command(flatten)]
    pub connection: Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options about the connection, accepted before or after the command.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection")]
pub struct Connection {
    /// Read the API token from PATH (one line; readable by you alone: chmod 600 PATH).
    #[arg(long, value_name = "PATH", global = true)]
    pub token_file: Option<PathBuf>,

    /// Use the named profile of the config file (its token, and its base URL if it has one).
    #[arg(long, value_name = "NAME", global = true)]
    pub profile: Option<String>,

    /// Also trust the CA certificates in PATH (PEM): a private CA, or a TLS-inspecting proxy's.
    #[arg(long, value_name = "PATH", global = true)]
    pub ca_file: Option<PathBuf>,

    /// Run against a mock Katapult started inside this process: no account, no network.
    #[arg(long, global = true, conflicts_with_all = ["token_file", "profile"])]
    pub mock: bool,

    /// Seconds allowed for each attempt, from sending to the end of the answer [default: 30].
    /// On `disk change` and `task wait` it bounds the whole change or wait instead.
    //
    // Those two commands declare an argument of this id themselves, so
    // clap gives them theirs rather than this one, and shares the value
    // between both levels (`katapult --timeout 5 disk change` is the same
    // as `katapult disk change --timeout 5`); `main` then turns it into
    // each attempt's limit for them (`per_attempt_within`).
    #[arg(long, value_name = "SECONDS", global = true, value_parser = seconds)]
    pub timeout: Option<Duration>,

    /// Length of the server's rate-limit window in whole seconds, for tests and non-standard
    /// deployments [default: 60].
    #[arg(
        long,
        value_name = "SECONDS",
        global = true,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub rate_limit_window: Option<u64>,

    /// Pace requests together with the other katapult processes on this machine that use the same
    /// token and this file (created if missing), so that running several at once spends the
    /// token's budget without requests being refused [default: $KATAPULT_RATE_LIMIT_POOL].
    #[arg(long, value_name = "PATH", global = true)]
    pub rate_limit_pool: Option<PathBuf>,

    /// Print katapult-core's tracing events (requests, retries, rate-limit holds) on stderr.
    /// The token is never printed.
    #[arg(long, global = true)]
    pub debug: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Disks.
    #[command(subcommand)]
    Disk(DiskCommand),
    /// Tasks: what a write that takes time (resize, I/O profile, attach, detach) answers with.
    #[command(subcommand)]
    Task(TaskCommand),
    /// Print shell completions for katapult on stdout.
    #[command(after_help = "Examples:\n  \
        katapult completions bash > ~/.local/share/bash-completion/completions/katapult\n  \
        katapult completions zsh > \"${fpath[1]}/_katapult\"\n  \
        katapult completions fish > ~/.config/fish/completions/katapult.fish")]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// `katapult disk ...`.
#[derive(Debug, Subcommand)]
pub enum DiskCommand {
    /// Read a disk (GET /disks/disk): its properties and annotations.
    #[command(after_help = format!("{CREDENTIALS}\n\n{EXIT_CODES}"))]
    Get(GetDiskArgs),
    /// Change a disk's properties (PATCH /disks/disk). Only the fields you give are sent.
    #[command(
        override_usage = "katapult disk update --disk-id <ID> [REQUEST BODY FLAGS] [OPTIONS]\n       \
                          katapult disk update --json-body <FILE|-> [OPTIONS]\n       \
                          katapult disk update --from <FILE|-> [--concurrency <N>] [OPTIONS]",
        after_help = format!("{CREDENTIALS}\n\n{EXIT_CODES}"),
    )]
    Update(Box<UpdateArgs>),
    /// Resize a disk (PUT /disks/disk/resize). Prints the answer (the disk as it was, and the
    /// task) and does not wait: `katapult task wait --task-id ..` does.
    #[command(after_help = format!("{CREDENTIALS}\n\n{EXIT_CODES}"))]
    Resize(ResizeArgs),
    /// Change a disk's I/O profile (PUT /disks/disk/io_profile). Prints the answer (the disk
    /// and the task) and does not wait: `katapult task wait --task-id ..` does.
    #[command(name = "io-profile", after_help = format!("{CREDENTIALS}\n\n{EXIT_CODES}"))]
    IoProfile(IoProfileArgs),
    /// Attach a disk to its virtual machine (POST /disks/disk/attach). Prints the answer (the
    /// disk and the task) and does not wait: `katapult task wait --task-id ..` does.
    #[command(after_help = format!("{CREDENTIALS}\n\n{EXIT_CODES}"))]
    Attach(AttachArgs),
    /// Detach a disk from its virtual machine (POST /disks/disk/detach). Prints the answer (the
    /// disk and the task) and does not wait: `katapult task wait --task-id ..` does.
    #[command(after_help = format!("{CREDENTIALS}\n\n{EXIT_CODES}"))]
    Detach(DetachArgs),
    /// Assign a disk to a virtual machine (POST /disks/disk/assign). Prints the answer.
    #[command(after_help = format!("{CREDENTIALS}\n\n{EXIT_CODES}"))]
    Assign(AssignArgs),
    /// Unassign a disk from its virtual machine (POST /disks/disk/unassign). Prints the answer.
    #[command(after_help = format!("{CREDENTIALS}\n\n{EXIT_CODES}"))]
    Unassign(UnassignArgs),
    /// Change an existing disk the way Katapult allows: read it, plan each property that
    /// differs onto the one operation that can change it (update, resize, I/O profile,
    /// attach/detach, assign/unassign), run the steps in a safe order, wait for each task and
    /// read the disk back until the change shows. Asking for what the disk already has sends
    /// nothing.
    #[command(
        override_usage = "katapult disk change --disk-id <ID> [CHANGE FLAGS] [--plan] [OPTIONS]\n       \
                          katapult disk change --from <FILE|-> [--concurrency <N>] [OPTIONS]",
        after_help = format!("{CHANGE_EXIT_CODES}\n\n{CREDENTIALS}\n\n{EXIT_CODES}"),
    )]
    Change(Box<ChangeArgs>),
    /// Print the JSON Schema of a request body of `disk update` (what
    /// `--json-body` takes, and each line of `--from`), for editors and
    /// validators. Sends nothing; needs no token.
    Schema,
}

/// `katapult disk update`: the request, and how to send it and show the answer.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The request body, one flag per field (generated from the OpenAPI fragment).
    #[command(flatten)]
    pub flags: UpdateDiskFlags,

    /// A whole request body as JSON, from FILE or `-` for stdin. It is checked against the
    /// request type before anything is sent.
    #[arg(
        long,
        value_name = "FILE|-",
        conflicts_with = UpdateDiskFlags::GROUP,
        help_heading = "Request body, whole"
    )]
    pub json_body: Option<PathBuf>,

    /// Bulk: JSON Lines from FILE or `-`, one request body per line. Prints one JSON line per
    /// input line on stdout: {"line":n,"ok":true,"disk":{..}} or
    /// {"line":n,"ok":false,"status":..,"code":..,"error":"..","request_id":..}.
    #[arg(
        long,
        value_name = "FILE|-",
        conflicts_with_all = [UpdateDiskFlags::GROUP, "json_body", "output", "dry_run"],
        help_heading = "Request body, whole"
    )]
    pub from: Option<PathBuf>,

    /// Bulk: how many updates are in flight at once.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 8,
        value_parser = clap::value_parser!(u16).range(1..),
        help_heading = "Request body, whole"
    )]
    pub concurrency: u16,

    /// Print the exact request (method, URL, headers with the token redacted, body) and send
    /// nothing. Needs no token.
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,

    /// How to print the updated disk: `json` is the response body, pretty-printed; `table` a
    /// short summary.
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t = OutputFormat::Json,
        help_heading = "Output"
    )]
    pub output: OutputFormat,
}

/// `katapult disk get`.
#[derive(Debug, Args)]
pub struct GetDiskArgs {
    /// The disk to read.
    #[arg(long, value_name = "ID")]
    pub disk_id: String,

    /// How to print the disk: `json` is the response body ({"disk": .., "annotations": [..]}),
    /// pretty-printed; `table` a short summary.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Json)]
    pub output: OutputFormat,
}

/// What `disk change` adds to the exit codes.
const CHANGE_EXIT_CODES: &str = "\
disk change:
  a change the plan's rules refuse (a resize that needs the disk detached, a data centre, ...)
  exits 2, and nothing is written; a task that failed exits 1 and names the task; a change that
  stopped part-way prints what it did (the report) and exits as what stopped it.";

/// `katapult disk change`: the properties wanted, and how to run the change.
///
/// The properties that are one field of Update disk's body come from the
/// fragment ([`DiskChangeFlags`]); the ones only a change has are here, in
/// the group `change_only`, so that `--from` conflicts with both groups.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change_only").multiple(true)))]
pub struct ChangeArgs {
    /// The properties, one flag per field (generated from the OpenAPI fragment).
    #[command(flatten)]
    pub flags: DiskChangeFlags,
    /// How to resize: `online` grows an attached disk in place; otherwise the disk is resized
    /// detached (and attached again if it was).
    #[arg(
        long,
        value_name = "METHOD",
        value_parser = ["offline", "online"],
        requires = "size_in_gb",
        group = "change_only",
        help_heading = "Change"
    )]
    pub resize_method: Option<String>,
    /// Whether it is attached to its virtual machine (attach_disk / detach_disk).
    #[arg(
        long,
        value_name = "BOOL",
        action = clap::ArgAction::Set,
        group = "change_only",
        help_heading = "Change"
    )]
    pub attached: Option<bool>,
    /// Belong to no virtual machine (unassign_disk; detached first if attached).
    #[arg(
        long,
        conflicts_with_all = ["virtual_machine_id", "virtual_machine_fqdn"],
        group = "change_only",
        help_heading = "Change"
    )]
    pub unassign: bool,

    /// Bulk: JSON Lines from FILE or `-`, one change per line: the request body of `disk
    /// update` plus "attached", "resize_method" and "unassign". Prints one JSON line per input
    /// line: {"line":n,"ok":true,"plan":[..],..} or {"line":n,"ok":false,"kind":..,"error":..}.
    #[arg(
        long,
        value_name = "FILE|-",
        conflicts_with_all = [DiskChangeFlags::GROUP, "change_only", "plan", "output"],
        help_heading = "Running"
    )]
    pub from: Option<PathBuf>,
    /// Bulk: how many changes run at once.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 8,
        value_parser = clap::value_parser!(u16).range(1..),
        help_heading = "Running"
    )]
    pub concurrency: u16,
    /// Print the plan (each property that differs: from, to, operation) and write nothing.
    #[arg(long, conflicts_with = "no_wait", help_heading = "Running")]
    pub plan: bool,
    /// Return once each write is accepted, without waiting for its task or reading the disk
    /// back.
    #[arg(long, help_heading = "Running")]
    pub no_wait: bool,
    /// Seconds the whole change may take, reads, writes, task waits and read-backs included
    /// (with --from, each line's change) [default: 1200]. Here it bounds the whole, not each
    /// attempt: each request keeps its own limit of 30 s, or the whole if that is shorter.
    #[arg(
        long,
        visible_alias = "deadline",
        value_name = "SECONDS",
        value_parser = seconds,
        help_heading = "Running"
    )]
    pub timeout: Option<Duration>,

    /// How to print the outcome: `json` is the report ({"plan": [..], "tasks": [..],
    /// "reconciled": [..], "disk": {..}}); `table` the plan as a table, then the disk.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Json, help_heading = "Output")]
    pub output: OutputFormat,
}

/// The arguments of a raw write: the operation's generated flags, or a whole body from
/// `--json-body`, and `--dry-run`. The generated flag of a required field
/// is required unless `--json-body` is given (the generator writes each
/// operation's own list).
macro_rules! write_args {
    ($(#[$doc:meta])* $name:ident, $flags:ty) => {
        $(#[$doc])*
        #[derive(Debug, Args)]
        pub struct $name {
            /// The request body, one flag per field (generated from the OpenAPI fragment).
            #[command(flatten)]
            pub flags: $flags,

            /// A whole request body as JSON, from FILE or `-` for stdin. It is checked against
            /// the request type before anything is sent.
            #[arg(
                long,
                value_name = "FILE|-",
                conflicts_with = <$flags>::GROUP,
                help_heading = "Request body, whole"
            )]
            pub json_body: Option<PathBuf>,

            /// Print the exact request (method, URL, headers with the token redacted, body)
            /// and send nothing. Needs no token.
            #[arg(long, help_heading = "Output")]
            pub dry_run: bool,
        }

        impl $name {
            /// The body as the flags give it, where `--json-body` gives it
            /// from, and whether only to show it.
            pub fn into_parts(self) -> WriteParts {
                WriteParts {
                    flags: self.flags.to_json(),
                    json_body: self.json_body,
                    dry_run: self.dry_run,
                }
            }
        }
    };
}

/// What every raw write's arguments come down to.
#[derive(Debug)]
pub struct WriteParts {
    /// The request body the generated flags describe.
    pub flags: serde_json::Value,
    /// `--json-body`: the whole body instead.
    pub json_body: Option<PathBuf>,
    /// `--dry-run`.
    pub dry_run: bool,
}

write_args!(
    /// `katapult disk resize`.
    ResizeArgs, ResizeDiskFlags
);
write_args!(
    /// `katapult disk io-profile`.
    IoProfileArgs, ChangeDiskIoProfileFlags
);
write_args!(
    /// `katapult disk attach`.
    AttachArgs, AttachDiskFlags
);
write_args!(
    /// `katapult disk detach`.
    DetachArgs, DetachDiskFlags
);
write_args!(
    /// `katapult disk assign`.
    AssignArgs, AssignDiskFlags
);
write_args!(
    /// `katapult disk unassign`.
    UnassignArgs, UnassignDiskFlags
);

/// `katapult task ...`.
#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Read a task (GET /tasks/task): its status and progress.
    #[command(after_help = format!("{CREDENTIALS}\n\n{EXIT_CODES}"))]
    Get(GetTaskArgs),
    /// Read a task, then wait for it to end: exit 0 once it completed, 1 if it failed or had not
    /// ended by the deadline. Progress goes to stderr when stderr is a terminal.
    #[command(after_help = format!("{CREDENTIALS}\n\n{EXIT_CODES}"))]
    Wait(WaitTaskArgs),
}

/// `katapult task get`.
#[derive(Debug, Args)]
pub struct GetTaskArgs {
    /// The task to read.
    #[arg(long, value_name = "ID")]
    pub task_id: String,

    /// How to print the task: `json` is the response body ({"task": ..}), pretty-printed;
    /// `table` a short summary.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Json)]
    pub output: OutputFormat,
}

/// `katapult task wait`.
#[derive(Debug, Args)]
pub struct WaitTaskArgs {
    /// The task to wait for.
    #[arg(long, value_name = "ID")]
    pub task_id: String,

    /// Seconds to wait in all, polls included, before giving up (the task may still finish)
    /// [default: 1200]. Here it bounds the whole wait, not each attempt: each request keeps
    /// its own limit of 30 s, or the whole if that is shorter.
    #[arg(long, visible_alias = "deadline", value_name = "SECONDS", value_parser = seconds)]
    pub timeout: Option<Duration>,

    /// How to print the ended task: `json` is the task as last read ({"task": ..});
    /// `table` a short summary.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Json)]
    pub output: OutputFormat,
}

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The response body, pretty-printed.
    Json,
    /// A short human summary of the disk.
    Table,
}

/// `katapult completions <SHELL>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
}

impl Connection {
    /// For a command whose `--timeout` bounds its whole run (`disk change`,
    /// `task wait`): each attempt keeps the client's default limit, or the
    /// whole if that is shorter, since no attempt can outlast the whole.
    pub fn per_attempt_within(&mut self, whole: Option<Duration>) {
        self.timeout = whole.map(|whole| whole.min(katapult_core::DEFAULT_TIMEOUT));
    }
}

/// A positive, finite number of seconds.
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0 * 365.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("expected a positive number of seconds, not {text:?}"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// clap's own consistency checks (argument ids in conflicts and
    /// requirements exist, no duplicate flags), which otherwise run only
    /// when a command line reaches the argument in question.
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn seconds_are_positive_and_finite() {
        assert_eq!(seconds("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["0", "-1", "NaN", "inf", "x", ""] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }
}
