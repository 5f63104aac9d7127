//! Mentions: counted apart from the unread messages, from `welcome` and from live messages
//! by the shared rule, cleared by reading; only others' room messages mention us.

use super::*;

fn mentions(state: &ChatState, key: &ConvKey) -> u32 {
    state.conversation(key).unwrap().mentions()
}

#[test]
fn mentions_count_from_the_welcome_and_live_messages_until_read() {
    let mut state = ChatState::new("Alice", "t");
    let rust = ConvKey::Room("rust".into());
    let conversations = vec![
        info(room("lobby"), 10, 10, 0),
        ConversationInfo {
            mentions: 1,
            ..info(room("rust"), 20, 15, 3)
        },
    ];
    state.apply(welcome_with("Alice", &["rust"], conversations, 20), 0);
    assert_eq!(mentions(&state, &rust), 1);
    state.apply(room_message(21, "rust", "bob", "@alice look"), 1);
    state.apply(room_message(22, "rust", "bob", "@ALICE. again"), 2);
    state.apply(room_message(23, "rust", "bob", "@alicex and mail@alice"), 3);
    state.apply(
        room_message(24, "rust", "Alice", "@alice me, from another tab"),
        4,
    );
    assert_eq!(mentions(&state, &rust), 3);
    assert_eq!(state.conversation(&rust).unwrap().unread(), 6);
    let summary = state.rooms().into_iter().find(|r| r.key == rust).unwrap();
    assert_eq!((summary.unread, summary.mentions), (6, 3));

    // A private message is unread, never a mention.
    state.apply(
        ServerFrame::PrivateMessage {
            details: Default::default(),
            id: 25,
            from: "bob".into(),
            to: "Alice".into(),
            body: "@alice psst".into(),
            at: 25,
        },
        5,
    );
    assert_eq!(mentions(&state, &ConvKey::Direct("bob".into())), 0);

    // Another tab read up to 21: the welcome's one and the first live one are read.
    state.apply(
        ServerFrame::Read {
            target: room("rust"),
            up_to: 21,
        },
        6,
    );
    assert_eq!(mentions(&state, &rust), 1);
    // Opened on a visible page: all read.
    state.activate(&rust);
    state.due(2_000, true);
    assert_eq!(mentions(&state, &rust), 0);
    let highlighted: Vec<bool> = state
        .active_rows()
        .iter()
        .filter_map(|r| match r {
            Row::Message { mentions_me, .. } => Some(*mentions_me),
            Row::System { .. } => None,
        })
        .collect();
    assert_eq!(highlighted, [true, true, false, false]);
}

#[test]
fn history_pages_mark_the_messages_that_mention_us() {
    let mut state = connected("alice");
    let mut message = stored(5, room("lobby"), "bob");
    message.body = "hi @alice".into();
    state.apply(
        ServerFrame::History {
            target: room("lobby"),
            messages: vec![stored(4, room("lobby"), "bob"), message],
            complete: true,
            req: None,
        },
        0,
    );
    let marked: Vec<bool> = state
        .active_rows()
        .iter()
        .filter_map(|r| match r {
            Row::Message { mentions_me, .. } => Some(*mentions_me),
            Row::System { .. } => None,
        })
        .collect();
    assert_eq!(marked, [false, true]);
}
