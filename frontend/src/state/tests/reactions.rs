//! Toggling our reactions: react, then unreact; an emoji the server would refuse is refused
//! here; chips count and mark ours.

use super::*;
use crate::state::reactions::chips;

#[test]
fn a_click_reacts_and_a_second_takes_it_back() {
    let mut state = connected("alice");
    let lobby = ConvKey::lobby();
    state.apply(room_message(1, "lobby", "bob", "hi"), 0);
    let react = state.toggle_reaction(1, "👍", 0).unwrap();
    assert_eq!(
        react,
        ClientFrame::React {
            id: 1,
            emoji: "👍".into(),
            req: Some(req_of(&react)),
        }
    );
    state.apply(ack(&req_of(&react), 2), 1);
    let shown = chips(&message(&state, &lobby, 1).details.reactions, state.me());
    assert_eq!(shown.len(), 1);
    assert!(shown[0].mine);
    assert_eq!(shown[0].label, "👍 1: alice");
    let unreact = state.toggle_reaction(1, "👍", 2).unwrap();
    assert!(matches!(unreact, ClientFrame::Unreact { id: 1, .. }));
    state.apply(ack(&req_of(&unreact), 3), 3);
    assert!(message(&state, &lobby, 1).details.reactions.is_empty());
}

#[test]
fn typed_reactions_are_trimmed_and_the_server_judges_them() {
    let mut state = connected("alice");
    state.apply(room_message(1, "lobby", "bob", "hi"), 0);
    assert_eq!(state.toggle_reaction(1, "  ", 0), None, "nothing typed");
    assert_eq!(state.toggle_reaction(2, "👍", 0), None, "no such message");
    let frame = state.toggle_reaction(1, " 🦀 ", 0).unwrap();
    assert!(matches!(frame, ClientFrame::React { ref emoji, .. } if emoji == "🦀"));
    // Not an emoji: the server says so, and the notice says why.
    let text = "a reaction is an emoji, not letters or digits";
    state.apply(refusal(ErrorCode::RateLimited, "", &req_of(&frame)), 1);
    let again = (2..10_000).find_map(|now| state.next_send(now)).unwrap();
    state.apply(refusal(ErrorCode::InvalidEmoji, text, &req_of(&again)), 2);
    assert_eq!(state.notices()[0].text, format!("Not sent: {text}"));
}

#[test]
fn chips_count_who_reacted_and_mark_ours() {
    let reactions = vec![
        shared::changes::Reaction {
            emoji: "🎉".into(),
            users: vec!["bob".into(), "Alice".into()],
        },
        shared::changes::Reaction {
            emoji: "😮".into(),
            users: vec!["carol".into()],
        },
    ];
    let shown = chips(&reactions, "alice");
    assert_eq!(
        shown.iter().map(|c| (c.count, c.mine)).collect::<Vec<_>>(),
        [(2, true), (1, false)]
    );
    assert_eq!(shown[0].label, "🎉 2: bob, Alice");
    assert_eq!(shown[0].text, "🎉 2");
}
