//! Notifications as the page drives them: what a frame raises given the page's mutes and
//! what it holds, and the unread count the tab's title shows without the muted conversations.

use super::*;
use crate::state::notify::{self, Mutes};

fn private(id: u64, from: &str, body: &str) -> ServerFrame {
    ServerFrame::PrivateMessage {
        id,
        from: from.into(),
        to: "alice".into(),
        body: body.into(),
        at: 1_000 + id,
        details: Default::default(),
    }
}

#[test]
fn a_message_raises_a_notification_once_and_not_when_muted() {
    let mut state = connected("alice");
    let frame = private(5, "bob", "psst");
    let raised = state.alert(&frame, false).expect("a notification");
    assert_eq!(raised.title, "bob (private)");
    assert_eq!(raised.body, "psst");
    assert_eq!(state.alert(&frame, true), None, "the page is seen");
    state.apply(frame.clone(), 10);
    // The same message again (a replay after a reconnect): held already, no second one.
    assert_eq!(state.alert(&frame, false), None);
    // Muted: nothing; unmuted again: the next one raises one.
    let dm = ConvKey::Direct("bob".into());
    state.toggle_mute(&dm);
    assert!(state.is_muted(&dm));
    assert_eq!(state.alert(&private(6, "bob", "again"), false), None);
    state.toggle_mute(&dm);
    assert!(state
        .alert(&private(7, "bob", "and again"), false)
        .is_some());
    // An ordinary room message raises none; one naming us does.
    assert_eq!(
        state.alert(&room_message(8, "lobby", "bob", "hi all"), false),
        None
    );
    let mention = state.alert(&room_message(9, "lobby", "bob", "hi @alice"), false);
    assert_eq!(mention.map(|a| a.title), Some("bob in #lobby".to_owned()));
}

#[test]
fn muted_conversations_stay_out_of_the_titles_count_but_keep_their_own() {
    let mut state = connected("alice");
    state.apply(private(5, "bob", "one"), 10);
    state.apply(room_message(6, "lobby", "bob", "two"), 11);
    state.apply(private(7, "bob", "three"), 12);
    assert_eq!(state.total_unread(), 3);
    assert_eq!(state.loud_unread(), 3);
    assert_eq!(notify::title(state.loud_unread()), "(3) Chat");
    let dm = ConvKey::Direct("bob".into());
    state.toggle_mute(&dm);
    assert_eq!(state.loud_unread(), 1);
    let direct = state.directs().into_iter().find(|d| d.key == dm).unwrap();
    assert!(direct.muted);
    assert_eq!(direct.unread, 2, "the sidebar still counts it");
    assert!(state.rooms().iter().all(|r| !r.muted));
    // Saved and loaded again (a reload).
    let saved = state.mutes().to_text();
    let mut again = connected("alice");
    again.set_mutes(Mutes::from_text(&saved));
    assert!(again.is_muted(&dm));
}
