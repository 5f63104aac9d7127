//! A released name's new holder: the conversation keeps when the other person's account began.

use super::*;

#[test]
fn a_welcome_s_since_marks_the_conversation_as_one_with_a_new_account() {
    let mut state = ChatState::new("alice", "t");
    let bob = Target::User { to: "bob".into() };
    let carol = Target::User { to: "carol".into() };
    let conversations = vec![
        ConversationInfo {
            since: Some(1_764_806_400_000),
            ..info(bob, 40, 30, 1)
        },
        info(carol, 20, 20, 0),
    ];
    state.apply(welcome_with("alice", &[], conversations, 40), 0);
    let since = |name: &str| {
        state
            .conversation(&ConvKey::Direct(name.into()))
            .expect("listed")
            .since
    };
    assert_eq!(since("bob"), Some(1_764_806_400_000));
    assert_eq!(since("carol"), None);
}
