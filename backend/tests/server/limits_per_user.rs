//! Limits per user, not only per connection: connections per user, one rate budget shared by
//! a user's connections, `rate_limited` naming the refused frame's `req`, and the rooms limit
//! held against parallel joins.

use futures_util::future::join_all;
use serde_json::json;
use shared::{ErrorCode, ServerFrame, UserName};

use testkit::{spawn_app_with, Client};

#[tokio::test]
async fn a_user_gets_at_most_max_connections_per_user_and_a_closed_one_frees_its_slot() {
    let app = spawn_app_with(|c| c.max_connections_per_user = 20).await;
    let token = app.claim("hoarder").await;
    let mut open = Vec::new();
    let mut refused = Vec::new();
    for _ in 0..25 {
        match app.try_connect(&token).await {
            Ok(client) => open.push(client),
            Err(refusal) => refused.push(refusal),
        }
    }
    println!(
        "25 attempts: {} opened, {} refused",
        open.len(),
        refused.len()
    );
    assert_eq!(open.len(), 20);
    assert_eq!(refused.len(), 5);
    for (status, error) in &refused {
        assert_eq!(*status, 429);
        assert_eq!(error.code, ErrorCode::TooManyConnections);
    }
    // Someone else still gets in.
    let (_, mut other) = app.user("other").await;
    other.assert_alive("other").await;
    // A closed connection gives its slot back.
    open.pop().expect("one open").close().await;
    app.wait_for_connections(20).await;
    let name = UserName::parse("hoarder").unwrap();
    assert_eq!(app.state.hub.slots_held(&name), 19);
    let mut again = match app.try_connect(&token).await {
        Ok(client) => client,
        Err(refusal) => panic!("a freed slot was not given back: {refusal:?}"),
    };
    again.assert_alive("again").await;
}

/// Sends `n` pings with distinct `req`s on `client`, then reads an answer to each: returns
/// how many were answered `pong` and how many `rate_limited` (each naming its `req`).
async fn ping_burst(client: &mut Client, tag: &str, n: usize) -> (usize, usize) {
    for i in 0..n {
        client
            .send_json(json!({"type": "ping", "req": format!("{tag}-{i}")}))
            .await;
    }
    let (mut pongs, mut limited) = (0, 0);
    for i in 0..n {
        let req = format!("{tag}-{i}");
        match client.recv().await {
            ServerFrame::Pong { req: Some(r) } if r == req => pongs += 1,
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                req: Some(r),
                ..
            } if r == req => limited += 1,
            other => panic!("expected the answer to {req}, got {other:?}"),
        }
    }
    (pongs, limited)
}

#[tokio::test]
async fn a_users_connections_share_one_rate_budget() {
    let app = spawn_app_with(|c| {
        c.rate_per_sec = 1;
        c.rate_burst = 20;
    })
    .await;
    let token = app.claim("spreader").await;
    let mut tabs = Vec::new();
    for _ in 0..3 {
        tabs.push(app.connect(&token).await);
    }
    let mut accepted = 0;
    for (i, tab) in tabs.iter_mut().enumerate() {
        let (pongs, limited) = ping_burst(tab, &format!("t{i}"), 20).await;
        assert_eq!(pongs + limited, 20);
        accepted += pongs;
    }
    println!("60 frames over 3 connections: {accepted} accepted");
    // One burst of 20 for the user, and what 1 per second refills meanwhile.
    assert!((20..=22).contains(&accepted), "{accepted}/60 accepted");

    // Another user has a budget of their own.
    let (_, mut other) = app.user("other").await;
    assert_eq!(ping_burst(&mut other, "o", 20).await, (20, 0));
}

#[tokio::test]
async fn a_rate_limited_frame_is_refused_with_its_req() {
    let app = spawn_app_with(|c| {
        c.rate_per_sec = 1;
        c.rate_burst = 2;
    })
    .await;
    let (_, mut client) = app.user("hasty").await;
    let (pongs, limited) = ping_burst(&mut client, "p", 5).await;
    assert!(
        pongs <= 3 && limited >= 2,
        "{pongs} pongs, {limited} limited"
    );
    // A frame that is no valid frame at all still gets its req back.
    client
        .send_json(json!({"type": "no_such_type", "req": "odd"}))
        .await;
    match client.recv().await {
        ServerFrame::Error {
            code: ErrorCode::RateLimited,
            req,
            ..
        } => assert_eq!(req.as_deref(), Some("odd")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn parallel_joins_from_several_connections_stay_within_the_rooms_limit() {
    let app = spawn_app_with(|c| c.max_rooms_per_user = 5).await;
    let token = app.claim("joiner").await;
    let mut tabs = Vec::new();
    for _ in 0..7 {
        tabs.push(app.connect(&token).await);
    }
    // Every tab asks for a room of its own at once.
    for (i, tab) in tabs.iter_mut().enumerate() {
        tab.send_json(json!({"type": "join", "room": format!("room-{i}"), "req": format!("j{i}")}))
            .await;
    }
    let answers = join_all(tabs.iter_mut().enumerate().map(|(i, tab)| async move {
        let room = format!("room-{i}");
        let req = format!("j{i}");
        match tab
            .recv_until(|f| match f {
                ServerFrame::RoomJoined { room: r, .. } => *r == room,
                ServerFrame::Error { req: Some(r), .. } => *r == req,
                _ => false,
            })
            .await
        {
            ServerFrame::RoomJoined { .. } => Ok(()),
            ServerFrame::Error { code, .. } => Err(code),
            _ => unreachable!(),
        }
    }))
    .await;
    let joined = answers.iter().filter(|a| a.is_ok()).count();
    let rooms = app
        .state
        .hub
        .rooms_of(&UserName::parse("joiner").unwrap())
        .len();
    println!("7 parallel joins with a limit of 5: {joined} joined, in {rooms} rooms");
    assert_eq!(rooms, 5, "lobby and 4 others");
    assert_eq!(joined, 4);
    assert!(answers
        .iter()
        .filter_map(|a| a.err())
        .all(|code| code == ErrorCode::TooManyRooms));
}
