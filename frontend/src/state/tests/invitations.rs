//! Invitations to us: held and shown until we join the room (here, in another tab, or as the
//! next welcome says) or dismiss them; said once, not again after every welcome; a dismissed
//! one stays hidden on this page unless someone else invites us.

use shared::Invite;

use super::*;

fn invite(room: &str, from: &str) -> ServerFrame {
    ServerFrame::Invitation {
        invite: Invite {
            room: room.into(),
            user: "carol".into(),
            from: from.into(),
            title: Some(format!("The {room} room")),
            topic: None,
        },
        req: None,
    }
}

fn rooms_invited_to(state: &ChatState) -> Vec<&str> {
    state
        .invitations()
        .iter()
        .map(|i| i.room.as_str())
        .collect()
}

#[test]
fn an_invitation_is_held_until_joined_and_said_once() {
    let mut state = connected("carol");
    state.apply(invite("plans", "alice"), 1);
    state.apply(invite("club", "bob"), 2);
    assert_eq!(rooms_invited_to(&state), ["plans", "club"]);
    // After a reconnect the server says them again: nothing new to say.
    state.connection_lost();
    state.apply(welcome("carol", &["carol"], &[("lobby", &[])]), 3);
    state.apply(invite("plans", "alice"), 4);
    state.apply(invite("club", "bob"), 4);
    assert_eq!(rooms_invited_to(&state), ["plans", "club"]);
    let lobby_lines = state.conversation(&ConvKey::lobby()).unwrap().lines.len();
    assert_eq!(lobby_lines, 2);

    // Accepting is joining: the invitation goes once the room is joined.
    let join = state.join_request("plans").unwrap().unwrap();
    assert!(matches!(join, ClientFrame::Join { room, .. } if room == "plans"));
    assert_eq!(rooms_invited_to(&state), ["plans", "club"]);
    state.apply(
        ServerFrame::RoomJoined {
            online: Vec::new(),
            away: Vec::new(),
            room: "plans".into(),
            members: vec!["alice".into(), "carol".into()],
            settings: Default::default(),
        },
        5,
    );
    assert_eq!(state.active(), &ConvKey::Room("plans".into()));
    assert_eq!(rooms_invited_to(&state), ["club"]);
    // Joined elsewhere, as a welcome lists it.
    state.apply(
        welcome(
            "carol",
            &["carol"],
            &[("lobby", &[]), ("plans", &[]), ("club", &[])],
        ),
        6,
    );
    assert!(state.invitations().is_empty());
    // An invitation to a room we are in is not shown.
    state.apply(invite("club", "dave"), 7);
    assert!(state.invitations().is_empty());
}

#[test]
fn a_dismissed_invitation_stays_hidden_unless_someone_else_invites() {
    let mut state = connected("carol");
    state.apply(invite("plans", "alice"), 1);
    state.dismiss_invitation("plans");
    assert!(state.invitations().is_empty());
    state.apply(invite("plans", "alice"), 2);
    assert!(state.invitations().is_empty());
    state.apply(invite("plans", "bob"), 3);
    assert_eq!(rooms_invited_to(&state), ["plans"]);
    assert_eq!(state.invitations()[0].from, "bob");
}
