//! Searching: a query sent, its results cut into marked pieces, further pages, refusals, and a
//! result opened at its message, with a page around it and the gap above it paged in.

use super::*;
use crate::state::search::pieces;

fn hit(id: u64, target: Target, from: &str, body: &str, marks: &[[u32; 2]]) -> StoredMessage {
    let mut message = stored(id, target, from);
    message.body = body.into();
    message.marks = marks.to_vec();
    message
}

fn results(messages: Vec<StoredMessage>, next: Option<u32>, req: &str) -> ServerFrame {
    ServerFrame::SearchResults {
        messages,
        next,
        req: Some(req.to_owned()),
    }
}

#[test]
fn bodies_are_cut_at_the_marks_and_bad_ranges_skipped() {
    let cut = pieces("Deploy on Friday", &[[0, 6], [10, 16]]);
    assert_eq!(cut, [("Deploy", true), (" on ", false), ("Friday", true)]);
    // Inside a character, backwards, overlapping or past the end: skipped.
    let cut = pieces("héllo world", &[[0, 2], [7, 12], [8, 9], [20, 30]]);
    assert_eq!(cut, [("héllo ", false), ("world", true)]);
    assert_eq!(pieces("", &[]), []);
}

#[test]
fn a_search_shows_its_results_and_a_late_answer_is_dropped() {
    let mut state = connected("alice");
    assert_eq!(state.search_request("  "), None, "nothing to look for");
    let first = state.search_request(" deploy ").unwrap();
    let ClientFrame::Search { query, offset, .. } = &first else {
        panic!("{first:?}")
    };
    assert_eq!((query.as_str(), *offset), ("deploy", None));
    assert!(state.search().busy());
    let page = vec![
        hit(7, room("lobby"), "bob", "deploy now", &[[0, 6]]),
        hit(
            5,
            Target::User { to: "alice".into() },
            "Bob",
            "we deploy",
            &[[3, 9]],
        ),
        hit(
            4,
            Target::User { to: "Carol".into() },
            "alice",
            "deploy?",
            &[[0, 6]],
        ),
    ];
    state.apply(results(page, Some(20), &req_of(&first)), 1);
    let hits = &state.search().hits;
    let places: Vec<(&str, &ConvKey)> = hits.iter().map(|h| (h.title.as_str(), &h.key)).collect();
    assert_eq!(
        places,
        [
            ("lobby", &ConvKey::lobby()),
            ("Bob", &ConvKey::Direct("bob".into())),
            ("Carol", &ConvKey::Direct("carol".into()))
        ]
    );
    assert_eq!(pieces(&hits[1].body, &hits[1].marks)[1], ("deploy", true));
    assert!(!state.search().busy());
    // A new search drops the old one's late answer.
    let second = state.search_request("friday").unwrap();
    state.apply(
        results(
            vec![hit(9, room("lobby"), "bob", "x", &[])],
            None,
            &req_of(&first),
        ),
        2,
    );
    assert!(state.search().hits.is_empty() && state.search().busy());
    state.apply(
        refusal(ErrorCode::RateLimited, "slow down", &req_of(&second)),
        3,
    );
    assert!(!state.search().busy());
    assert_eq!(state.notices().len(), 1, "the refusal is said");
}

#[test]
fn a_result_far_back_opens_with_a_page_around_it_and_the_gap_is_paged_in() {
    let mut state = connected("alice");
    state.activate(&ConvKey::lobby());
    let req = req_of(&state.due(0, false)[0]);
    state.apply(page(room("lobby"), &[900, 901], false, Some(req)), 0);
    let ask = state.search_request("old").unwrap();
    state.apply(
        results(
            vec![hit(100, room("lobby"), "bob", "old", &[[0, 3]])],
            None,
            &req_of(&ask),
        ),
        1,
    );
    let around = state.open_hit(0, 2).unwrap();
    assert!(matches!(
        around,
        ClientFrame::History {
            around: Some(100),
            before: None,
            ..
        }
    ));
    assert_eq!(state.sought(), None);
    assert!(state
        .due(2, false)
        .iter()
        .all(|f| !matches!(f, ClientFrame::History { .. })));
    state.apply(
        page(room("lobby"), &[90, 100, 110], false, Some(req_of(&around))),
        3,
    );
    assert_eq!(state.sought(), Some(100), "the view scrolls to it");
    state.found();
    assert_eq!(ids(&state, &ConvKey::lobby()), [90, 100, 110, 900, 901]);
    // The messages between the page and those held are paged in, newest first.
    let fill = state.due(4, false);
    let fill = fill
        .iter()
        .find(|f| matches!(f, ClientFrame::History { .. }))
        .unwrap();
    assert!(matches!(
        fill,
        ClientFrame::History {
            before: Some(900),
            around: None,
            ..
        }
    ));
    state.apply(
        page(room("lobby"), &[120, 899], false, Some(req_of(fill))),
        5,
    );
    let fill = state.due(5, false);
    let fill = fill
        .iter()
        .find(|f| matches!(f, ClientFrame::History { .. }))
        .unwrap();
    assert!(matches!(
        fill,
        ClientFrame::History {
            before: Some(120),
            ..
        }
    ));
    state.apply(
        page(room("lobby"), &[110, 115], false, Some(req_of(fill))),
        6,
    );
    assert_eq!(
        ids(&state, &ConvKey::lobby()),
        [90, 100, 110, 115, 120, 899, 900, 901]
    );
    assert!(state.conversation(&ConvKey::lobby()).unwrap().gap.is_none());
    // A result held already is shown at once.
    assert_eq!(state.open_hit(0, 7), None);
    assert_eq!(state.sought(), Some(100));
}

#[test]
fn a_result_in_a_conversation_never_opened_loads_it_around_then_up_to_the_newest() {
    let mut state = connected("alice");
    let ask = state.search_request("hi").unwrap();
    let them = Target::User { to: "alice".into() };
    state.apply(
        results(
            vec![hit(40, them.clone(), "Dora", "hi", &[[0, 2]])],
            None,
            &req_of(&ask),
        ),
        1,
    );
    let around = state.open_hit(0, 2).unwrap();
    assert_eq!(state.active(), &ConvKey::Direct("dora".into()));
    let answer = ServerFrame::History {
        target: Target::User { to: "Dora".into() },
        messages: vec![stored(40, Target::User { to: "alice".into() }, "Dora")],
        complete: true,
        req: Some(req_of(&around)),
    };
    state.apply(answer, 3);
    assert_eq!(state.sought(), Some(40));
    let fill = state.due(4, false);
    let fill = fill
        .iter()
        .find(|f| matches!(f, ClientFrame::History { .. }))
        .unwrap();
    assert!(
        matches!(
            fill,
            ClientFrame::History {
                before: Some(u64::MAX),
                ..
            }
        ),
        "{fill:?}"
    );
}

#[test]
fn more_results_asks_for_the_next_page_and_adds_it_after_the_first() {
    let mut state = connected("alice");
    let first = state.search_request("deploy").unwrap();
    assert!(
        !state.search().more(),
        "nothing to page while the first is on its way"
    );
    assert_eq!(state.more_results(), None);
    let page_one = (1..=20)
        .map(|id| hit(100 - id, room("lobby"), "bob", "deploy", &[[0, 6]]))
        .collect();
    state.apply(results(page_one, Some(20), &req_of(&first)), 1);
    assert!(state.search().more());
    let more = state.more_results().unwrap();
    let ClientFrame::Search { query, offset, .. } = &more else {
        panic!("{more:?}")
    };
    assert_eq!((query.as_str(), *offset), ("deploy", Some(20)));
    assert!(state.search().busy() && state.search().more());
    assert_eq!(state.more_results(), None, "one page at a time");
    // Refused (the search budget): the same page can be asked for again.
    state.apply(
        refusal(ErrorCode::RateLimited, "slow down", &req_of(&more)),
        2,
    );
    assert!(state.search().more());
    let again = state.more_results().unwrap();
    assert!(matches!(
        again,
        ClientFrame::Search {
            offset: Some(20),
            ..
        }
    ));
    // The second page goes after the first; one already shown (shifted by a new message) is
    // not shown twice. The last page has no `next`: nothing more is offered.
    state.apply(
        results(
            vec![
                hit(80, room("lobby"), "bob", "deploy", &[[0, 6]]),
                hit(60, room("lobby"), "carol", "deploy", &[[0, 6]]),
            ],
            None,
            &req_of(&again),
        ),
        3,
    );
    let ids: Vec<u64> = state.search().hits.iter().map(|h| h.id).collect();
    assert_eq!(ids.len(), 21);
    assert_eq!(ids[..2], [99, 98]);
    assert_eq!(ids[20], 60);
    assert!(!state.search().more());
    assert_eq!(state.more_results(), None);
    // A new search starts from its first page.
    let fresh = state.search_request("friday").unwrap();
    assert!(matches!(fresh, ClientFrame::Search { offset: None, .. }));
    assert!(state.search().hits.is_empty());
}
