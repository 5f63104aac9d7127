//! "Everyone online": the lobby's members asked for page by page, a fresh first page each
//! time it is opened, "More" after the last name held, stale answers dropped; those listed
//! show as online until a `presence` frame says otherwise.

use super::*;

fn members(names: &[&str], away: &[&str], complete: bool, req: &ClientFrame) -> ServerFrame {
    let names_of = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
    ServerFrame::Members {
        room: "lobby".into(),
        members: names_of(names),
        away: names_of(away),
        complete,
        req: Some(req_of(req)),
    }
}

fn listed(state: &ChatState) -> Vec<(String, bool, bool)> {
    state
        .everyone_listed()
        .into_iter()
        .map(|p| (p.name, p.is_me, p.away))
        .collect()
}

#[test]
fn pages_are_asked_for_on_demand_and_more_starts_after_the_last_name() {
    let mut state = connected("alice");
    assert!(!state.everyone().answered());
    assert_eq!(state.everyone_more(), None, "nothing to follow yet");
    let first = state.everyone_request().unwrap();
    assert!(
        matches!(&first, ClientFrame::Members { room, after: None, req: Some(_) } if room == "lobby"),
        "{first:?}"
    );
    assert!(state.everyone().busy());
    state.apply(members(&["alice", "Bob"], &["Bob"], false, &first), 1);
    assert!(!state.everyone().busy());
    assert!(state.everyone().has_more());
    assert_eq!(
        listed(&state),
        [
            ("alice".to_owned(), true, false),
            ("Bob".to_owned(), false, true)
        ]
    );
    let more = state.everyone_more().unwrap();
    assert!(
        matches!(&more, ClientFrame::Members { after: Some(after), .. } if after == "Bob"),
        "{more:?}"
    );
    state.apply(members(&["carol"], &[], true, &more), 2);
    assert!(!state.everyone().has_more());
    assert_eq!(state.everyone_more(), None);
    assert_eq!(listed(&state).len(), 3);
    // Opening it again asks for a fresh first page, which replaces the list.
    let again = state.everyone_request().unwrap();
    state.apply(members(&["dave"], &[], true, &again), 3);
    assert_eq!(listed(&state), [("dave".to_owned(), false, false)]);
}

#[test]
fn a_stale_or_refused_answer_changes_nothing() {
    let mut state = connected("alice");
    let old = state.everyone_request().unwrap();
    let new = state.everyone_request().unwrap();
    state.apply(members(&["zed"], &[], true, &old), 1);
    assert!(
        listed(&state).is_empty(),
        "the older request's answer is dropped"
    );
    assert!(state.everyone().busy());
    state.apply(refusal(ErrorCode::NotMember, "", &req_of(&new)), 2);
    assert!(!state.everyone().busy());
    // Another room's page is not the lobby's.
    let asked = state.everyone_request().unwrap();
    let mut other = members(&["zed"], &[], true, &asked);
    if let ServerFrame::Members { room, .. } = &mut other {
        *room = "rust".into();
    }
    state.apply(other, 3);
    assert!(listed(&state).is_empty());
    // A lost connection loses the request; none goes out while down.
    state.everyone_request().unwrap();
    state.connection_lost();
    state.set_link(Link::Reconnecting { retry_at: 1_000 });
    assert!(!state.everyone().busy());
    assert_eq!(state.everyone_request(), None);
}

#[test]
fn those_listed_show_online_until_presence_says_otherwise() {
    let mut state = connected("alice");
    let asked = state.everyone_request().unwrap();
    state.apply(
        members(&["alice", "carol", "dave"], &["dave"], true, &asked),
        1,
    );
    // Not of interest: known from the list alone.
    assert_eq!(state.availability("carol"), Availability::Online);
    assert_eq!(state.availability("dave"), Availability::Away);
    assert_eq!(
        state.mentionable().len(),
        3,
        "lobby: bob (of interest), carol and dave: {:?}",
        state.mentionable()
    );
    state.open_direct("carol");
    assert!(state
        .directs()
        .iter()
        .any(|d| d.title == "carol" && d.available));
    state.apply(
        ServerFrame::Presence {
            online: Vec::new(),
            offline: vec!["carol".into()],
            away: Vec::new(),
            last_seen: [("carol".to_owned(), 77)].into(),
            online_count: Some(2),
        },
        2,
    );
    assert_eq!(state.availability("carol"), Availability::Offline(Some(77)));
    assert_eq!(listed(&state).len(), 2);
    // A new connection forgets the list: it was true on the one before.
    state.connection_lost();
    state.apply(welcome("alice", &["alice"], &[("lobby", &[])]), 3);
    assert!(listed(&state).is_empty());
    assert!(!state.everyone().answered());
    assert_eq!(state.availability("dave"), Availability::Offline(None));
}
