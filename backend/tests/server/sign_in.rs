//! Sign-in under attack: attempt limits per name, per address and for account creation,
//! bounded password hashing; sessions that expire and that their owner lists and revokes.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::{json, Value};
use shared::api::SessionList;
use shared::close;
use testkit::{spawn_app_with, Ended, Storage, TestApp};

use crate::chat_server;

/// An HTTP client whose requests come from `from` (any address of 127.0.0.0/8 is loopback).
fn client_from(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn post(http: &reqwest::Client, app: &TestApp, body: Value) -> reqwest::Response {
    http.post(app.url("/api/session"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The status, error code and `Retry-After` of an answer.
async fn outcome(response: reqwest::Response) -> (u16, String, Option<u64>) {
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let code = body["code"].as_str().unwrap_or("").to_owned();
    (status, code, retry)
}

#[tokio::test]
async fn a_name_refuses_password_attempts_past_its_limit_with_retry_after() {
    let app = spawn_app_with(|c| {
        c.name_attempts = 10;
        c.name_attempts_per_hour = 120;
    })
    .await;
    let http = client_from("127.0.0.1");
    let created = post(
        &http,
        &app,
        json!({"name": "dana", "password": "correct horse"}),
    )
    .await;
    assert_eq!(created.status(), 201);
    for i in 0..10 {
        let wrong = json!({"name": "dana", "password": format!("wrong guess {i}")});
        let (status, code, _) = outcome(post(&http, &app, wrong).await).await;
        assert_eq!(
            (status, code.as_str()),
            (401, "wrong_password"),
            "attempt {i}"
        );
    }
    let eleventh = json!({"name": "dana", "password": "wrong guess 10"});
    let (status, code, retry) = outcome(post(&http, &app, eleventh).await).await;
    assert_eq!((status, code.as_str()), (429, "too_many_attempts"));
    // 120 an hour: the next attempt is in 30 s (less the time the ten took).
    assert!(matches!(retry, Some(20..=30)), "{retry:?}");
    // Locked for everyone, the right password included, until a token is back.
    let right = json!({"name": "dana", "password": "correct horse"});
    let (status, _, _) = outcome(post(&client_from("127.0.0.5"), &app, right).await).await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn one_address_guessing_does_not_lock_another_address_out_of_another_name() {
    let app = spawn_app_with(|c| {
        c.address_attempts = 5;
        c.address_attempts_per_hour = 360;
    })
    .await;
    let owner = client_from("127.0.0.1");
    for name in ["erin", "fred"] {
        let body = json!({"name": name, "password": "correct horse"});
        assert_eq!(post(&owner, &app, body).await.status(), 201);
    }
    let attacker = client_from("127.0.0.2");
    for i in 0..5 {
        let guess = json!({"name": "fred", "password": format!("guess number {i}")});
        let (status, _, _) = outcome(post(&attacker, &app, guess).await).await;
        assert_eq!(status, 401, "attempt {i}");
    }
    // The attacker's address is spent, on any name.
    let guess = json!({"name": "erin", "password": "guess number 5"});
    let (status, code, retry) = outcome(post(&attacker, &app, guess).await).await;
    // 360 an hour: one more in 10 s at most.
    assert_eq!((status, code.as_str()), (429, "too_many_attempts"));
    assert!(matches!(retry, Some(5..=10)), "{retry:?}");
    // Erin, elsewhere, still signs in.
    let victim = client_from("127.0.0.3");
    let right = json!({"name": "erin", "password": "correct horse"});
    assert_eq!(post(&victim, &app, right).await.status(), 200);
}

#[tokio::test]
async fn account_creation_is_limited_per_address() {
    let app = spawn_app_with(|c| {
        c.account_creations = 3;
        c.account_creations_per_hour = 360;
    })
    .await;
    let one = client_from("127.0.0.2");
    for i in 0..3 {
        let body = json!({"name": format!("bot{i}")});
        assert_eq!(post(&one, &app, body).await.status(), 201, "account {i}");
    }
    // A refused claim of a taken name creates nothing and costs nothing.
    assert_eq!(
        post(&one, &app, json!({"name": "bot0"})).await.status(),
        409
    );
    let (status, code, retry) = outcome(post(&one, &app, json!({"name": "bot3"})).await).await;
    // 360 an hour: one more in 10 s at most.
    assert_eq!((status, code.as_str()), (429, "too_many_attempts"));
    assert!(matches!(retry, Some(5..=10)), "{retry:?}");
    let other = client_from("127.0.0.3");
    assert_eq!(
        post(&other, &app, json!({"name": "bot3"})).await.status(),
        201
    );
}

#[tokio::test]
async fn a_trusted_proxy_is_believed_about_the_client_address() {
    let app = spawn_app_with(|c| {
        c.account_creations = 1;
        c.account_creations_per_hour = 360;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let proxy = client_from("127.0.0.1");
    let via = |name: &str, client: &str| {
        proxy
            .post(app.url("/api/session"))
            .header("x-forwarded-for", client)
            .json(&json!({"name": name}))
            .send()
    };
    assert_eq!(via("gil", "198.51.100.1").await.unwrap().status(), 201);
    // Another client behind the same proxy has its own budget...
    assert_eq!(via("hal", "198.51.100.2").await.unwrap().status(), 201);
    // ...and the first one has spent its own, whatever it writes in front of the proxy's entry.
    let spoofed = via("ian", "203.0.113.7, 198.51.100.1").await.unwrap();
    assert_eq!(spoofed.status(), 429);
    // An untrusted peer is counted by its own address, whatever it forwards.
    let direct = client_from("127.0.0.4");
    let forged = direct
        .post(app.url("/api/session"))
        .header("x-forwarded-for", "198.51.100.9")
        .json(&json!({"name": "jan"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 201);
    let again = direct
        .post(app.url("/api/session"))
        .header("x-forwarded-for", "198.51.100.10")
        .json(&json!({"name": "kim"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 429);
}

/// The resident set of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_burst_of_password_attempts_is_bounded_in_memory_and_turned_away_when_full() {
    const PARALLEL: usize = 200;
    const WORKERS: u64 = 2;
    let storage = Storage::from_env().await;
    let server = chat_server(&storage)
        .args(["--hash-concurrency", "2", "--hash-queue", "4"])
        .start()
        .await;
    let pid = server.pid().expect("running");
    let http = reqwest::Client::new();
    let created = http
        .post(server.url("/api/session"))
        .json(&json!({"name": "dana", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let before = rss_kib(pid);
    let attempts = (0..PARALLEL).map(|i| {
        let request = http
            .post(server.url("/api/session"))
            .json(&json!({"name": "dana", "password": format!("wrong guess {i}")}))
            .send();
        async move { outcome(request.await.unwrap()).await }
    });
    let outcomes = futures_util::future::join_all(attempts).await;
    let busy: Vec<_> = outcomes.iter().filter(|(s, _, _)| *s == 503).collect();
    let wrong = outcomes.iter().filter(|(s, _, _)| *s == 401).count();
    let after = rss_kib(pid);
    eprintln!(
        "{PARALLEL} parallel wrong passwords: {wrong} × 401, {} × 503; RSS {} → {} MiB",
        busy.len(),
        before / 1024,
        after / 1024
    );
    assert_eq!(wrong + busy.len(), PARALLEL, "{outcomes:?}");
    assert!(!busy.is_empty(), "no attempt was turned away");
    for (_, code, retry) in &busy {
        assert_eq!((code.as_str(), *retry), ("server_busy", Some(1)));
    }
    // At most one argon2 working memory (19 MiB) per worker, plus the requests' buffers.
    let bound = before + WORKERS * 20 * 1024 + 48 * 1024;
    assert!(
        after <= bound,
        "RSS grew from {before} KiB to {after} KiB (bound {bound} KiB)"
    );
    // The server still answers, and the owner still signs in.
    let right = http
        .post(server.url("/api/session"))
        .json(&json!({"name": "dana", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
}

#[tokio::test]
async fn a_short_or_long_password_is_invalid_whether_the_name_is_taken_or_not() {
    let app = spawn_app_with(|_| {}).await;
    let http = reqwest::Client::new();
    let created = post(
        &http,
        &app,
        json!({"name": "lea", "password": "correct horse"}),
    )
    .await;
    assert_eq!(created.status(), 201);
    assert_eq!(
        post(&http, &app, json!({"name": "max"})).await.status(),
        201
    );
    let long = "x".repeat(129);
    for name in ["lea", "max", "free-name"] {
        for password in ["short", long.as_str()] {
            let body = json!({"name": name, "password": password});
            let (status, code, _) = outcome(post(&http, &app, body).await).await;
            assert_eq!((status, code.as_str()), (400, "invalid_password"), "{name}");
        }
    }
}

/// The status of `GET /api/session` with `token`.
async fn whoami(app: &TestApp, token: &str) -> u16 {
    let response = app
        .http()
        .get(app.url("/api/session"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

/// The caller's sessions.
async fn sessions(app: &TestApp, token: &str) -> SessionList {
    let response = app
        .http()
        .get(app.url("/api/sessions"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A sign-in to `name` with `password` from a browser calling itself `agent`; its token.
async fn sign_in(app: &TestApp, name: &str, password: &str, agent: &str) -> String {
    let response = app
        .http()
        .post(app.url("/api/session"))
        .header("user-agent", agent)
        .json(&json!({"name": name, "password": password}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn sessions_are_listed_and_a_revoked_one_is_closed_with_4001() {
    let app = spawn_app_with(|_| {}).await;
    let laptop = sign_in(&app, "nia", "correct horse", "Laptop/1").await;
    let phone = sign_in(&app, "nia", "correct horse", "Phone/2").await;
    let listed = sessions(&app, &laptop).await.sessions;
    assert_eq!(listed.len(), 2);
    let (current, other): (Vec<_>, Vec<_>) = listed.into_iter().partition(|s| s.current);
    let (current, other) = (&current[0], &other[0]);
    assert_eq!(current.user_agent.as_deref(), Some("Laptop/1"));
    assert_eq!(other.user_agent.as_deref(), Some("Phone/2"));
    assert_eq!(other.address.as_deref(), Some("127.0.0.1"));
    assert!(other.last_used_at >= other.created_at);
    for id in [&current.id, &other.id] {
        assert!(!laptop.contains(id.as_str()) && !phone.contains(id.as_str()));
    }

    // Someone else cannot revoke it, nor learn that it exists.
    let stranger = app.claim("oz").await;
    let url = app.url(&format!("/api/sessions/{}", other.id));
    let response = app
        .http()
        .delete(&url)
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    let (status, code, _) = outcome(response).await;
    assert_eq!((status, code.as_str()), (404, "unknown_session"));

    let mut on_phone = app.connect(&phone).await;
    let response = app
        .http()
        .delete(&url)
        .bearer_auth(&laptop)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        on_phone.until_closed().await,
        Ended::Closed(Some(close::SESSION_ENDED))
    );
    assert_eq!(whoami(&app, &phone).await, 401);
    assert_eq!(whoami(&app, &laptop).await, 200);
    let left = sessions(&app, &laptop).await.sessions;
    assert_eq!(left.len(), 1);
    assert!(left[0].current);
    // Gone is gone.
    let again = app
        .http()
        .delete(&url)
        .bearer_auth(&laptop)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn an_unused_session_expires_and_each_use_extends_it() {
    // Expiry is the passage of time itself: this test has to let some pass.
    let ttl = Duration::from_secs(2);
    // A passwordless session lasts at least the release period: 0 days here.
    let app = spawn_app_with(|c| {
        c.session_ttl_secs = ttl.as_secs();
        c.release_names_after_days = 0;
    })
    .await;
    let token = app.claim("pia").await;
    tokio::time::sleep(ttl * 6 / 10).await;
    assert_eq!(whoami(&app, &token).await, 200);
    tokio::time::sleep(ttl * 6 / 10).await;
    // Older than the time to live, but used within it.
    assert_eq!(whoami(&app, &token).await, 200);
    tokio::time::sleep(ttl + Duration::from_millis(300)).await;
    assert_eq!(whoami(&app, &token).await, 401);
    // An expired passwordless account unused for the release period no longer holds its name.
    assert_eq!(app.post_session(json!({"name": "pia"})).await.status(), 201);
}
