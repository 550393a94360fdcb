//! The read commands: `disk get`, `task get`, and `task wait`, which reads
//! a task and then waits for it to end ([`katapult_core::Client::wait_for_task`]).

use katapult_core::Error;
use katapult_core::types::GetTaskResponse;
use serde_json::json;

use crate::cli::{Connection, GetDiskArgs, GetTaskArgs, OutputFormat, WaitTaskArgs};
use crate::exit::{Exit, Failure};
use crate::output;
use crate::progress::ProgressBar;
use crate::session::{self, Purpose};
use crate::update::print;

/// `katapult disk get`.
pub async fn disk(connection: &Connection, args: GetDiskArgs) -> Result<Exit, Failure> {
    let session = session::open(connection, Purpose::Send).await?;
    let response = session.client.get_disk(&args.disk_id).await?;
    let text = match args.output {
        OutputFormat::Json => format!("{}\n", output::json(&response)?),
        OutputFormat::Table => output::disk_table(
            &response.disk,
            &response.annotations,
            response.meta().request_id(),
        ),
    };
    print(&text).map_err(Failure::output)?;
    Ok(Exit::Success)
}

/// `katapult task get`.
pub async fn task(connection: &Connection, args: GetTaskArgs) -> Result<Exit, Failure> {
    let session = session::open(connection, Purpose::Send).await?;
    let response = session.client.get_task(&args.task_id).await?;
    print(&task_text(&response, args.output)?).map_err(Failure::output)?;
    Ok(Exit::Success)
}

/// `katapult task wait`: the task as read first, then as it ended. A task
/// that failed, or had not ended by the deadline, is printed too (the
/// caller may want its last reading) and exits 1 with a message naming it.
pub async fn wait(connection: &Connection, args: WaitTaskArgs) -> Result<Exit, Failure> {
    let session = session::open(connection, Purpose::Send).await?;
    let client = &session.client;
    let response = client.get_task(&args.task_id).await?;
    let meta = response.meta().clone();
    let mut bar = ProgressBar::on_stderr();
    bar.draw_task(&response.task);
    let mut wait = client
        .wait_for_task(&response.task)
        .on_progress(|task| bar.draw_task(task));
    if let Some(deadline) = args.timeout {
        wait = wait.deadline(deadline);
    }
    let outcome = wait.await;
    bar.finish();
    let (task, failure) = match outcome {
        Ok(task) => (task, None),
        Err(Error::Task(error)) => {
            let failure = Failure {
                exit: Exit::Refused,
                message: error.to_string(),
            };
            ((*error).task().clone(), Some(failure))
        }
        Err(error) => return Err(error.into()),
    };
    let text = match args.output {
        OutputFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({ "task": task }))
                .map_err(|error| Failure::bug(format!("cannot print the task: {error}")))?
        ),
        OutputFormat::Table => output::task_table(&task, &meta),
    };
    print(&text).map_err(Failure::output)?;
    match failure {
        Some(failure) => Err(failure),
        None => Ok(Exit::Success),
    }
}

fn task_text(
    response: &katapult_core::Response<GetTaskResponse>,
    format: OutputFormat,
) -> Result<String, Failure> {
    Ok(match format {
        OutputFormat::Json => format!("{}\n", output::json(response)?),
        OutputFormat::Table => output::task_table(&response.task, response.meta()),
    })
}
