//! Help, usage and shell completions.

use crate::support::Home;

#[test]
fn top_level_help() {
    let home = Home::new("help");
    let run = home.katapult().args(["--help"]).run();
    run.exits(0);
    insta::assert_snapshot!("katapult_help", run.stdout);
}

/// The flags of `disk update` come from the fragment (cargo xtask codegen):
/// this snapshot shows every change to them.
#[test]
fn disk_update_help() {
    let home = Home::new("help");
    let run = home.katapult().args(["disk", "update", "--help"]).run();
    run.exits(0);
    insta::assert_snapshot!("disk_update_help", run.stdout);
}

/// The raw writes' flags come from the fragment too.
#[test]
fn disk_resize_help() {
    let home = Home::new("help");
    let run = home.katapult().args(["disk", "resize", "--help"]).run();
    run.exits(0);
    insta::assert_snapshot!("disk_resize_help", run.stdout);
}

/// `disk change`'s flags and exit codes.
#[test]
fn disk_change_help() {
    let home = Home::new("help");
    let run = home.katapult().args(["disk", "change", "--help"]).run();
    run.exits(0);
    insta::assert_snapshot!("disk_change_help", run.stdout);
}

/// `task wait`'s `--timeout`, which bounds the whole wait.
#[test]
fn task_wait_help() {
    let home = Home::new("help");
    let run = home.katapult().args(["task", "wait", "--help"]).run();
    run.exits(0);
    insta::assert_snapshot!("task_wait_help", run.stdout);
}

#[test]
fn help_documents_every_exit_code() {
    let home = Home::new("help");
    for args in [&["--help"][..], &["disk", "update", "--help"]] {
        let run = home.katapult().args(args).run();
        for code in ["  0  ", "  1  ", "  2  ", "  3  ", "  4  ", "  5  "] {
            assert!(
                run.stdout.contains(code),
                "{args:?} {code:?}: {}",
                run.stdout
            );
        }
    }
}

#[test]
fn no_arguments_prints_usage_and_exits_2() {
    let home = Home::new("help");
    let run = home.katapult().run();
    run.exits(2);
    assert!(run.stderr.contains("Usage: katapult"), "{run:?}");
    assert!(run.stdout.is_empty());
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let home = Home::new("help");
    let run = home
        .katapult()
        .args(["disk", "update", "--disk-id", "d", "--nmae", "x"])
        .run();
    run.exits(2);
    assert!(run.stderr.contains("'--nmae'"), "{run:?}");
}

#[test]
fn version() {
    let home = Home::new("help");
    let run = home.katapult().args(["--version"]).run();
    run.exits(0);
    assert!(run.stdout.starts_with("katapult 0."), "{run:?}");
}

#[test]
fn completions_for_each_shell() {
    let home = Home::new("completions");
    for (shell, marker) in [
        ("bash", "complete -F _katapult"),
        ("zsh", "#compdef katapult"),
        ("fish", "complete -c katapult"),
    ] {
        let run = home.katapult().args(["completions", shell]).run();
        run.exits(0);
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        // The generated flags are completed too.
        assert!(run.stdout.contains("attach-on-boot"), "{shell}");
    }
    home.katapult()
        .args(["completions", "powershell"])
        .run()
        .exits(2);
}

#[test]
fn the_request_schema_is_printed_without_a_token() {
    let home = Home::new("schema");
    let run = home.katapult().args(["disk", "schema"]).run();
    run.exits(0);
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        schema["required"],
        serde_json::json!(["disk", "properties"])
    );
    // Every field of the request body is described, nested ones included.
    for field in ["annotations", "disk", "properties"] {
        assert!(
            schema["properties"].get(field).is_some(),
            "{field}: {schema}"
        );
    }
    assert!(run.stdout.contains("attach_on_boot"), "{}", run.stdout);
}
