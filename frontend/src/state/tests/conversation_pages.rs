//! Private conversations past the welcome's first page are paged in.

use super::*;

fn user(name: &str) -> Target {
    Target::User { to: name.into() }
}

fn listed(state: &ChatState, name: &str) -> Option<u32> {
    state
        .conversation(&ConvKey::Direct(name.to_ascii_lowercase()))
        .map(Conversation::unread)
}

#[test]
fn a_welcome_with_more_conversations_than_it_lists_asks_for_the_rest_page_by_page() {
    let mut state = ChatState::new("alice", "t");
    let first = vec![
        info(room("lobby"), 50, 50, 0),
        info(user("bob"), 40, 0, 3),
        info(user("carol"), 30, 30, 0),
    ];
    let ServerFrame::Welcome {
        protocol,
        user: me,
        online,
        rooms,
        conversations,
        last_id,
        limits,
        ..
    } = welcome_with("alice", &[], first, 50)
    else {
        unreachable!()
    };
    let out = state.apply(
        ServerFrame::Welcome {
            online_count: 0,
            protocol,
            user: me,
            online,
            away: Vec::new(),
            rooms,
            conversations,
            conversations_complete: false,
            last_id,
            limits,
        },
        0,
    );
    assert_eq!(listed(&state, "bob"), Some(3));
    // The next page: older than the oldest private conversation listed (lobby's id aside).
    let [ClientFrame::Conversations {
        before: Some(30),
        req: Some(_),
    }] = out.as_slice()
    else {
        panic!("expected a request for older conversations, got {out:?}");
    };
    let out = state.apply(
        ServerFrame::Conversations {
            online: Vec::new(),
            away: Vec::new(),
            conversations: vec![info(user("dave"), 20, 0, 2)],
            complete: false,
            req: None,
        },
        1,
    );
    assert_eq!(listed(&state, "dave"), Some(2));
    assert!(matches!(
        out.as_slice(),
        [ClientFrame::Conversations {
            before: Some(20),
            ..
        }]
    ));
    let out = state.apply(
        ServerFrame::Conversations {
            online: Vec::new(),
            away: Vec::new(),
            conversations: vec![info(user("erin"), 10, 0, 1)],
            complete: true,
            req: None,
        },
        2,
    );
    assert_eq!(listed(&state, "erin"), Some(1));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(state.total_unread(), 6);
}

#[test]
fn a_complete_welcome_asks_for_nothing_more() {
    let mut state = ChatState::new("alice", "t");
    let out = state.apply(
        welcome_with("alice", &[], vec![info(user("bob"), 40, 0, 3)], 50),
        0,
    );
    assert!(out.is_empty(), "{out:?}");
}
