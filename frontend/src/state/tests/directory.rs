//! The room browser: a search asks for a first page, "More" for the next, each answer filling
//! the list (a stale answer dropped, `/rooms`' answer left to the composer's system line);
//! rooms we are in say so; creating a room.

use shared::RoomListing;

use super::*;

fn listing(room: &str, members: u64) -> RoomListing {
    RoomListing {
        room: room.into(),
        title: None,
        topic: Some(format!("all about {room}")),
        member_count: members,
    }
}

fn page(rooms: &[&str], next: Option<u32>, req: &ClientFrame) -> ServerFrame {
    ServerFrame::RoomList {
        rooms: rooms.iter().map(|r| listing(r, 3)).collect(),
        next,
        req: Some(req_of(req)),
    }
}

fn names(state: &ChatState) -> Vec<(String, bool)> {
    state
        .listed()
        .into_iter()
        .map(|l| (l.room.room, l.joined))
        .collect()
}

#[test]
fn a_search_lists_a_page_and_more_appends_the_next() {
    let mut state = connected("alice");
    state.apply(
        ServerFrame::RoomJoined {
            online: Vec::new(),
            away: Vec::new(),
            room: "rust".into(),
            members: vec!["alice".into()],
            settings: Default::default(),
        },
        1,
    );
    let first = state.browse("  ").unwrap();
    assert!(
        matches!(
            &first,
            ClientFrame::Rooms {
                query: None,
                offset: None,
                req: Some(_)
            }
        ),
        "{first:?}"
    );
    assert!(state.directory().busy());
    state.apply(page(&["rust", "go"], Some(2), &first), 2);
    assert!(!state.directory().busy() && state.directory().answered);
    assert_eq!(
        names(&state),
        [("rust".to_owned(), true), ("go".to_owned(), false)]
    );
    assert!(state.directory().has_more());
    let more = state.browse_more().unwrap();
    assert!(matches!(
        &more,
        ClientFrame::Rooms {
            offset: Some(2),
            query: None,
            ..
        }
    ));
    state.apply(page(&["zig"], None, &more), 3);
    assert_eq!(state.listed().len(), 3);
    assert!(!state.directory().has_more());
    assert_eq!(state.browse_more(), None);
    // Nothing of it went to a conversation as a system line.
    assert!(state.active_rows().is_empty());

    // A new search starts again from the first page; an older answer is dropped.
    let stale = state.browse("ru").unwrap();
    let fresh = state.browse("rust").unwrap();
    assert!(
        matches!(&fresh, ClientFrame::Rooms { query: Some(q), offset: None, .. } if q == "rust")
    );
    state.apply(page(&["rust"], None, &fresh), 4);
    state.apply(page(&["rubble", "ruby"], None, &stale), 5);
    assert_eq!(names(&state), [("rust".to_owned(), true)]);
}

#[test]
fn a_refused_or_lost_request_is_no_longer_waited_for() {
    let mut state = connected("alice");
    let asked = state.browse("a".repeat(300).as_str()).unwrap();
    state.apply(
        refusal(ErrorCode::InvalidQuery, "too long", &req_of(&asked)),
        1,
    );
    assert!(!state.directory().busy());
    state.browse("rust").unwrap();
    state.connection_lost();
    assert!(!state.directory().busy());
    state.set_link(Link::Connecting);
    assert_eq!(state.browse("rust"), None);
}

#[test]
fn a_created_room_opens_once_made() {
    let mut state = connected("alice");
    assert!(state
        .create_room("no spaces", "", false)
        .unwrap_err()
        .starts_with("The room name"));
    let frame = state.create_room(" Plans ", " Q3 dates ", true).unwrap();
    assert!(
        matches!(&frame, ClientFrame::CreateRoom { room, topic: Some(t), private: true, req: Some(_) } if room == "plans" && t == "Q3 dates"),
        "{frame:?}"
    );
    let public = state.create_room("open", "  ", false).unwrap();
    assert!(matches!(
        public,
        ClientFrame::CreateRoom {
            topic: None,
            private: false,
            ..
        }
    ));
    state.apply(
        ServerFrame::RoomJoined {
            online: Vec::new(),
            away: Vec::new(),
            room: "open".into(),
            members: vec!["alice".into()],
            settings: Default::default(),
        },
        1,
    );
    assert_eq!(state.active(), &ConvKey::Room("open".into()));
}
