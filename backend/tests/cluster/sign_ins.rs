//! Claims of one name on two nodes at once: the shared database gives it to exactly one, and
//! the other is refused as it would be alone.

use serde_json::{json, Value};

use super::start;
use testkit::Services;

#[tokio::test]
async fn two_nodes_claiming_the_same_names_at_once_give_each_to_one() {
    let services = Services::new().await;
    let nodes = [start(&services, "a").await, start(&services, "b").await];
    for round in 0..12 {
        let name = format!("racer{round}");
        let (on_a, on_b) = tokio::join!(
            nodes[0].post_session(json!({ "name": name })),
            nodes[1].post_session(json!({ "name": name }))
        );
        let mut answers = Vec::new();
        for (node, response) in [on_a, on_b].into_iter().enumerate() {
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("a JSON body");
            answers.push((status, node, body));
        }
        answers.sort_by_key(|(status, _, _)| *status);
        let statuses: Vec<u16> = answers.iter().map(|(status, _, _)| *status).collect();
        assert_eq!(statuses, [201, 409], "{name}: {answers:?}");
        assert_eq!(answers[1].2["code"], "name_taken", "{name}");
        // The winner's token works on the other node too.
        let token = answers[0].2["token"].as_str().expect("a token");
        let other = &nodes[1 - answers[0].1];
        let mut client = other.connect(token).await;
        client.sees_online(&name).await;
    }
}
