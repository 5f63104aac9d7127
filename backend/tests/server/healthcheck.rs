//! `chat-server healthcheck`, the container's health check: the real binary probes a server
//! started by testkit, and a port nothing listens on.

use std::process::Output;
use std::time::{Duration, Instant};

use testkit::{free_addr, spawn_app};
use tokio::process::Command;

/// `chat-server <args>` with a clean environment for what the probe reads (`PORT`, `BIND`).
async fn chat_server(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chat-server"));
    command.args(args).env_remove("PORT").env_remove("BIND");
    for (key, value) in env {
        command.env(key, value);
    }
    tokio::time::timeout(Duration::from_secs(20), command.output())
        .await
        .expect("the health check ends on its own")
        .expect("chat-server runs")
}

#[tokio::test]
async fn the_healthcheck_passes_against_a_running_server() {
    let app = spawn_app().await;
    let port = app.endpoint().addr.port().to_string();

    // The port as the container gives it, in the environment; the server listens on loopback.
    let by_env = chat_server(&["healthcheck"], &[("PORT", port.as_str())]).await;
    assert!(by_env.status.success(), "{by_env:?}");

    // Or as flags before the subcommand, as for the server itself.
    let bind = app.endpoint().addr.to_string();
    let by_flag = chat_server(&["--bind", bind.as_str(), "healthcheck"], &[]).await;
    assert!(by_flag.status.success(), "{by_flag:?}");

    // `--ready`: /readyz, the store reachable too.
    let ready = chat_server(&["healthcheck", "--ready"], &[("PORT", port.as_str())]).await;
    assert!(ready.status.success(), "{ready:?}");
}

#[tokio::test]
async fn the_healthcheck_fails_when_nothing_listens() {
    let nobody = free_addr().port().to_string();
    let started = Instant::now();
    let output = chat_server(
        &[
            "--port",
            nobody.as_str(),
            "healthcheck",
            "--timeout-ms",
            "2000",
        ],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot reach 127.0.0.1:{nobody}")),
        "the error names the address: {stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn the_healthcheck_fails_on_a_server_that_does_not_answer() {
    // Accepts (the kernel's backlog) but never answers: the timeout decides.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let started = Instant::now();
    let output = chat_server(
        &["healthcheck", "--timeout-ms", "500"],
        &[("PORT", port.as_str())],
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no answer"),
        "{output:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(silent);
}
