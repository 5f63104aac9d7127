//! Keyboard shortcuts (Alt+↑/↓, Ctrl+K, Escape) and the quick switcher's matching.

use super::*;
use crate::state::shortcuts::{neighbour, KeyPress, Shortcut};
use crate::state::switcher::Switcher;

fn press(key: &str) -> KeyPress<'_> {
    KeyPress {
        key,
        ..KeyPress::default()
    }
}

#[test]
fn key_presses_map_to_shortcuts_only_with_exactly_their_modifiers() {
    let alt = |key| KeyPress {
        alt: true,
        ..press(key)
    };
    assert_eq!(alt("ArrowUp").shortcut(), Some(Shortcut::Previous));
    assert_eq!(alt("ArrowDown").shortcut(), Some(Shortcut::Next));
    assert_eq!(press("ArrowDown").shortcut(), None, "plain arrows scroll");
    assert_eq!(
        KeyPress {
            shift: true,
            ..alt("ArrowDown")
        }
        .shortcut(),
        None
    );
    let ctrl_k = KeyPress {
        ctrl: true,
        ..press("k")
    };
    assert_eq!(ctrl_k.shortcut(), Some(Shortcut::Switcher));
    let cmd_k = KeyPress {
        meta: true,
        ..press("K")
    };
    assert_eq!(cmd_k.shortcut(), Some(Shortcut::Switcher));
    assert_eq!(press("k").shortcut(), None, "typing a k is typing");
    assert_eq!(
        KeyPress {
            meta: true,
            ..ctrl_k
        }
        .shortcut(),
        None
    );
    assert_eq!(press("Escape").shortcut(), Some(Shortcut::Close));
    assert_eq!(
        KeyPress {
            ctrl: true,
            ..press("Escape")
        }
        .shortcut(),
        None
    );
}

#[test]
fn alt_arrows_step_through_the_list_and_stop_at_its_ends() {
    let order = [
        ConvKey::lobby(),
        ConvKey::Room("rust".into()),
        ConvKey::Direct("bob".into()),
    ];
    let step = |from: &ConvKey, way| neighbour(&order, from, way);
    assert_eq!(step(&order[0], Shortcut::Next), Some(order[1].clone()));
    assert_eq!(step(&order[1], Shortcut::Next), Some(order[2].clone()));
    assert_eq!(step(&order[2], Shortcut::Next), None);
    assert_eq!(step(&order[2], Shortcut::Previous), Some(order[1].clone()));
    assert_eq!(step(&order[0], Shortcut::Previous), None);
    assert_eq!(step(&ConvKey::Room("gone".into()), Shortcut::Next), None);
    assert_eq!(step(&order[0], Shortcut::Switcher), None);
}

/// alice in #lobby and #rust, with a private conversation with bob.
fn alice_with_rooms_and_bob() -> ChatState {
    let mut state = connected("alice");
    state.apply(
        ServerFrame::RoomJoined {
            online: Vec::new(),
            away: Vec::new(),
            settings: shared::RoomSettings::default(),
            room: "rust".into(),
            members: vec!["alice".into()],
        },
        1,
    );
    state.open_direct("bob");
    state.activate(&ConvKey::lobby());
    state
}

#[test]
fn the_order_is_the_sidebars_rooms_then_private_conversations() {
    let mut state = alice_with_rooms_and_bob();
    assert_eq!(
        state.conversation_order(),
        vec![
            ConvKey::lobby(),
            ConvKey::Room("rust".into()),
            ConvKey::Direct("bob".into())
        ]
    );
    let next = state.neighbour(Shortcut::Next).unwrap();
    assert_eq!(next, ConvKey::Room("rust".into()));
    state.activate(&next);
    assert_eq!(
        state.neighbour(Shortcut::Next),
        Some(ConvKey::Direct("bob".into()))
    );
    assert_eq!(state.neighbour(Shortcut::Previous), Some(ConvKey::lobby()));
}

fn titles(matches: &[ConvSummary]) -> Vec<&str> {
    matches.iter().map(|m| m.title.as_str()).collect()
}

#[test]
fn the_switcher_ranks_exact_then_prefix_then_contained_names() {
    let mut state = alice_with_rooms_and_bob();
    for room in ["bobsled", "kebob"] {
        state.apply(
            ServerFrame::RoomJoined {
                online: Vec::new(),
                away: Vec::new(),
                settings: shared::RoomSettings::default(),
                room: room.into(),
                members: vec!["alice".into()],
            },
            1,
        );
    }
    let convs: Vec<ConvSummary> = state.rooms().into_iter().chain(state.directs()).collect();
    let mut switcher = Switcher::default();
    assert_eq!(
        titles(&switcher.matches(&convs)),
        ["lobby", "bobsled", "kebob", "rust", "bob"],
        "nothing typed: everything, in the sidebar's order"
    );
    switcher.set_query("BOB");
    assert_eq!(
        titles(&switcher.matches(&convs)),
        ["bob", "bobsled", "kebob"]
    );
    switcher.set_query("#ru");
    assert_eq!(titles(&switcher.matches(&convs)), ["rust"]);
    switcher.set_query("@bo");
    assert_eq!(
        titles(&switcher.matches(&convs)),
        ["bobsled", "bob", "kebob"]
    );
    switcher.set_query("nothing like it");
    assert!(switcher.matches(&convs).is_empty());
}

#[test]
fn the_switcher_highlight_wraps_and_enter_takes_the_highlighted_one() {
    let state = alice_with_rooms_and_bob();
    let convs: Vec<ConvSummary> = state.rooms().into_iter().chain(state.directs()).collect();
    let mut switcher = Switcher::default();
    let matches = switcher.matches(&convs);
    assert_eq!(switcher.chosen(&matches).unwrap().title, "lobby");
    switcher.move_by(1, matches.len());
    assert_eq!(switcher.chosen(&matches).unwrap().title, "rust");
    switcher.move_by(2, matches.len());
    assert_eq!(switcher.selected(), 0, "past the end wraps to the top");
    switcher.move_by(-1, matches.len());
    assert_eq!(switcher.chosen(&matches).unwrap().title, "bob");
    // Typing highlights the best match again.
    switcher.set_query("ru");
    assert_eq!(switcher.selected(), 0);
    let matches = switcher.matches(&convs);
    assert_eq!(
        switcher.chosen(&matches).unwrap().key,
        ConvKey::Room("rust".into())
    );
    assert_eq!(switcher.chosen(&[]), None);
    switcher.move_by(1, 0);
    assert_eq!(switcher.selected(), 0);
}
