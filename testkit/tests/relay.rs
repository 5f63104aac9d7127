//! The relay carries HTTP and WebSocket both ways, and a cut ends live connections and
//! refuses new ones until it is restored: what a browser test needs to cut a client off.

use shared::ServerFrame;
use testkit::{spawn_app, Ended, Relay};

#[tokio::test]
async fn a_relay_carries_http_and_websockets_and_cuts_and_restores_them() {
    let app = spawn_app().await;
    let relay = Relay::start(app.addr).await;
    assert_eq!(relay.status_of("/healthz").await, Some(200));
    // Both in one room, so each hears of the other's presence.
    let token = app.teammate("alice").await;
    let mut through = relay.connect(&token).await;
    let (_, mut direct) = app.member("bob").await;
    through.sees_online("bob").await;
    let id = direct.say("lobby", "both ways", "r1").await;
    assert_eq!(through.messages(1).await, [(id, "both ways".to_owned())]);

    relay.cut();
    assert_eq!(through.until_closed().await, Ended::Dropped);
    assert_eq!(relay.status_of("/healthz").await, None, "refused while cut");
    direct.sees_offline("alice").await;

    relay.restore();
    assert_eq!(relay.status_of("/healthz").await, Some(200));
    let mut again = relay.connect_after(&token, 0).await;
    let frames = again.sync().await;
    assert!(
        frames
            .iter()
            .any(|f| matches!(f, ServerFrame::RoomMessage { id: got, .. } if *got == id)),
        "{frames:?}"
    );
}
