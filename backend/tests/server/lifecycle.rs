//! Connections coming and going: churn leaves nothing behind, dead peers are dropped,
//! shutdown (in process, and SIGTERM to the binary) closes everyone with 1001; the binary
//! says where it really listens.

use std::time::Duration;

use serde_json::json;
use shared::{close, ServerFrame};

use testkit::{lists, presence, spawn_app, spawn_app_with, Ended, Storage};

use crate::chat_server;

#[tokio::test]
async fn a_thousand_connect_disconnect_cycles_leave_nothing_behind() {
    let app = spawn_app().await;
    let (_, mut observer) = app.user("observer").await;
    let tokens = [
        app.claim("u1").await,
        app.claim("u2").await,
        app.claim("u3").await,
    ];
    for i in 0..1_000 {
        let mut client = app.connect(&tokens[i % 3]).await;
        if i % 10 == 0 {
            client
                .send_json(json!({"type": "join", "room": format!("room{}", i % 7)}))
                .await;
            client
                .recv_until(|f| matches!(f, ServerFrame::RoomJoined { .. }))
                .await;
        }
        if i % 2 == 0 {
            client.close().await;
        } else {
            drop(client); // vanish without a close frame
        }
    }
    app.wait_for_connections(1).await;
    let stats = app.state.hub.stats();
    assert_eq!(stats.users_online, 1, "{stats:?}");
    // Memberships are stored, so the seven rooms stay (with offline members) besides lobby.
    assert_eq!(stats.rooms, 8, "{stats:?}");
    observer.sync().await;
    observer.assert_alive("still fine").await;
}

#[tokio::test]
async fn a_peer_that_stops_answering_pings_is_dropped() {
    let app = spawn_app_with(|c| {
        c.ping_interval_secs = 1;
        c.idle_timeout_secs = 2;
    })
    .await;
    let (_, mut bob) = app.member("bob").await;
    let (_, silent) = app.member("silent").await;
    bob.sync().await;
    // `silent` never reads, so it never answers a ping; bob reads and so answers them.
    let frame = bob
        .next(Duration::from_secs(6))
        .await
        .expect("silent should be dropped within a few seconds")
        .expect("bob stays connected");
    assert_eq!(lists(frame), presence(&[], &["silent"]));
    app.wait_for_connections(1).await;
    drop(silent);
}

#[tokio::test]
async fn shutdown_closes_every_client_with_1001_promptly() {
    let app = spawn_app().await;
    let (_, mut alice) = app.user("alice").await;
    let (_, mut bob) = app.user("bob").await;
    let took = app.shutdown().await;
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    assert_eq!(
        alice.until_closed().await,
        Ended::Closed(Some(close::GOING_AWAY))
    );
    assert_eq!(
        bob.until_closed().await,
        Ended::Closed(Some(close::GOING_AWAY))
    );
}

#[tokio::test]
async fn sigterm_closes_every_client_with_1001_and_exits_0_within_the_grace_period() {
    let grace = Duration::from_secs(5);
    let storage = Storage::from_env().await;
    let mut server = chat_server(&storage)
        .args(["--shutdown-grace-secs", &grace.as_secs().to_string()])
        .start()
        .await;
    let mut clients = Vec::new();
    for name in ["alice", "bob", "carol"] {
        clients.push(server.user(name).await.1);
    }
    let (_, mut tab2) = server.user("dave").await;
    tab2.join("rust").await;
    clients.push(tab2);

    let (status, took) = server.terminate(grace + Duration::from_secs(5)).await;
    eprintln!("SIGTERM: exited with {status} after {took:?}");
    assert!(
        status.success(),
        "exit status {status}:\n{}",
        server.log_text()
    );
    assert!(took < grace, "took {took:?}, grace {grace:?}");
    for client in &mut clients {
        assert_eq!(
            client.until_closed().await,
            Ended::Closed(Some(close::GOING_AWAY))
        );
    }
}

/// `--port 0` (the system picks the port): the binary logs the address it really listens on,
/// and the URL it logs answers.
#[tokio::test]
async fn the_binary_logs_the_address_it_really_listens_on() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let data = tempfile::tempdir().expect("a data directory");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_chat-server"))
        .args([
            "--bind",
            "127.0.0.1:8080",
            "--port",
            "0",
            "--log-format",
            "json",
        ])
        .arg("--data-dir")
        .arg(data.path())
        .env("RUST_LOG", "info")
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("PORT")
        .env_remove("BIND")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start chat-server");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let listening = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.expect("read the log") {
            let event: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
            if event["message"] == "listening" {
                return event;
            }
        }
        panic!("the server ended without logging where it listens");
    })
    .await
    .expect("a \"listening\" line within 20 s");
    let addr: std::net::SocketAddr = listening["addr"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .expect("an addr field");
    assert_eq!(addr.ip(), std::net::Ipv4Addr::LOCALHOST);
    assert!(addr.port() != 0 && addr.port() != 8080, "{addr}");
    let url = listening["url"].as_str().expect("a url field");
    assert_eq!(url, format!("http://{addr}/"));
    let health = reqwest::get(format!("{url}healthz"))
        .await
        .expect("GET /healthz at the logged url");
    assert_eq!(health.status(), 200);
    child.kill().await.expect("stop the server");
}
