//! Away: the page says `activity` when it is hidden or untouched for five minutes, and
//! back, on change only, again after a reconnect; others' away and last seen from
//! `welcome`, `presence` and the conversations' entries.

use super::*;

fn activity(frames: &[ClientFrame]) -> Vec<bool> {
    frames
        .iter()
        .filter_map(|f| match f {
            ClientFrame::Activity { away } => Some(*away),
            _ => None,
        })
        .collect()
}

/// What the page sends at `now` as `Socket::send_due` does: the `activity` frames of it.
fn said(state: &mut ChatState, now: Millis, visible: bool) -> Vec<bool> {
    let mut frames = state.due(now, visible);
    frames.extend(state.activity(visible, now));
    activity(&frames)
}

#[test]
fn a_hidden_page_says_away_once_and_back_once_when_shown() {
    let mut state = connected("alice");
    assert!(
        said(&mut state, 1_000, true).is_empty(),
        "present: nothing to say"
    );
    assert_eq!(said(&mut state, 2_000, false), [true]);
    assert!(said(&mut state, 2_500, false).is_empty(), "on change only");
    assert!(state.page_away(3_000));
    assert_eq!(said(&mut state, 4_000, true), [false]);
    assert!(said(&mut state, 4_500, true).is_empty());
    assert!(!state.page_away(4_500));
}

#[test]
fn an_untouched_page_goes_away_after_five_minutes_and_the_next_touch_brings_it_back() {
    let mut state = connected("alice");
    let start = 10_000;
    assert!(said(&mut state, start, true).is_empty());
    assert_eq!(state.touched(start), None, "present already");
    let idle = start + IDLE_AFTER_MS;
    assert!(said(&mut state, idle - 1, true).is_empty());
    assert_eq!(said(&mut state, idle, true), [true]);
    assert!(said(&mut state, idle + 500, true).is_empty());
    // A key press, a pointer: back at once, said once.
    assert_eq!(
        state.touched(idle + 1_000),
        Some(ClientFrame::Activity { away: false })
    );
    assert_eq!(state.touched(idle + 1_100), None);
    assert!(said(&mut state, idle + 1_500, true).is_empty());
    // Touched now and then: never away.
    for minute in 1..20 {
        let now = idle + 1_000 + minute * 60_000;
        assert_eq!(state.touched(now), None);
        assert!(said(&mut state, now + 500, true).is_empty());
    }
}

#[test]
fn touching_a_hidden_page_does_not_bring_it_back() {
    let mut state = connected("alice");
    assert_eq!(said(&mut state, 1_000, false), [true]);
    assert_eq!(state.touched(1_500), None, "hidden is away, touched or not");
    assert_eq!(said(&mut state, 2_000, true), [false]);
}

#[test]
fn an_away_page_says_so_again_on_a_new_connection() {
    let mut state = connected("alice");
    assert_eq!(said(&mut state, 1_000, false), [true]);
    state.connection_lost();
    state.set_link(Link::Reconnecting { retry_at: 2_000 });
    // Nothing goes out while the link is down.
    assert!(said(&mut state, 1_500, false).is_empty());
    assert_eq!(state.touched(1_600), None);
    // The new connection counts the page present: tell it.
    let out = state.apply(welcome("alice", &["alice"], &[("lobby", &[])]), 3_000);
    assert!(activity(&out).is_empty());
    assert_eq!(said(&mut state, 3_000, false), [true]);
    // A page that was shown again meanwhile says nothing: present is what the server assumes.
    state.connection_lost();
    state.apply(welcome("alice", &["alice"], &[("lobby", &[])]), 4_000);
    assert!(said(&mut state, 4_000, true).is_empty());
}

fn presence(online: &[&str], offline: &[&str], away: &[&str], seen: &[(&str, u64)]) -> ServerFrame {
    ServerFrame::Presence {
        online_count: None,
        online: online.iter().map(|s| s.to_string()).collect(),
        offline: offline.iter().map(|s| s.to_string()).collect(),
        away: away.iter().map(|s| s.to_string()).collect(),
        last_seen: seen.iter().map(|(n, at)| (n.to_string(), *at)).collect(),
    }
}

#[test]
fn others_are_online_away_or_offline_with_when_they_were_last_seen() {
    let mut state = ChatState::new("alice", "t");
    let mut hello = welcome("alice", &["alice", "Bob", "carol"], &[("lobby", &[])]);
    if let ServerFrame::Welcome { away, .. } = &mut hello {
        *away = vec!["carol".to_owned()];
    }
    state.apply(hello, 0);
    assert_eq!(state.availability("bob"), Availability::Online);
    assert_eq!(state.availability("Carol"), Availability::Away);
    assert_eq!(state.availability("dave"), Availability::Offline(None));
    let people = state.people();
    let carol = people.iter().find(|p| p.name == "carol").unwrap();
    assert!(carol.online && carol.away);
    assert!(!people.iter().find(|p| p.name == "Bob").unwrap().away);

    // Bob goes away, carol comes back; then bob leaves, with a time.
    state.apply(presence(&["Bob", "carol"], &[], &["Bob"], &[]), 1);
    assert_eq!(state.availability("bob"), Availability::Away);
    assert_eq!(state.availability("carol"), Availability::Online);
    state.apply(presence(&[], &["Bob"], &[], &[("Bob", 5_000)]), 2);
    assert_eq!(
        state.availability("bob"),
        Availability::Offline(Some(5_000))
    );
    // Back online: present, not away (away was about his last pages).
    state.apply(presence(&["Bob"], &[], &[], &[]), 3);
    assert_eq!(state.availability("bob"), Availability::Online);
    // Unknown while the connection is down.
    state.connection_lost();
    assert_eq!(state.availability("bob"), Availability::Unknown);
}

#[test]
fn a_private_conversations_entry_says_when_the_other_was_last_seen_and_the_latest_wins() {
    let mut state = ChatState::new("alice", "t");
    let mut dave = info(Target::User { to: "Dave".into() }, 7, 7, 0);
    dave.last_seen = Some(9_000);
    state.apply(welcome_with("alice", &["lobby"], vec![dave], 7), 0);
    assert_eq!(
        state.availability("dave"),
        Availability::Offline(Some(9_000))
    );
    // An older time heard later does not move it back; a newer one does.
    state.apply(presence(&[], &["dave"], &[], &[("dave", 8_000)]), 1);
    assert_eq!(
        state.availability("dave"),
        Availability::Offline(Some(9_000))
    );
    state.apply(presence(&[], &["dave"], &[], &[("dave", 12_000)]), 2);
    assert_eq!(
        state.availability("dave"),
        Availability::Offline(Some(12_000))
    );
}

#[test]
fn a_rooms_members_show_away() {
    let mut state = ChatState::new("alice", "t");
    state.apply(
        welcome(
            "alice",
            &["alice", "bob"],
            &[("lobby", &[]), ("rust", &["alice", "bob", "carol"])],
        ),
        0,
    );
    state.apply(presence(&["bob"], &[], &["bob"], &[]), 1);
    state.activate(&ConvKey::Room("rust".into()));
    let members = state.active_members();
    let flags: Vec<(&str, bool, bool)> = members
        .iter()
        .map(|p| (p.name.as_str(), p.online, p.away))
        .collect();
    assert_eq!(
        flags,
        [
            ("alice", true, false),
            ("bob", true, true),
            ("carol", false, false)
        ]
    );
}
