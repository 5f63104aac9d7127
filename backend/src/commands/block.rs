//! `block`, `unblock`: who a user blocks, stored; the whole list goes to every connection of
//! theirs on every node (`blocked`), the one that asked with its `req`. Blocking someone hides
//! their later private messages from you (the store marks them as it stores them) and lets
//! your client collapse their room messages; they are told nothing.

use shared::protocol::MAX_BLOCKS;
use shared::{ErrorCode, ServerFrame};

use super::{internal, Context, Refusal};

pub(super) async fn run(
    cx: &Context<'_>,
    user: &str,
    block: bool,
    req: Option<String>,
) -> Result<(), Refusal> {
    let user = cx.existing_user(user).await?;
    if user.key() == cx.name.key() {
        return Err((
            ErrorCode::NotAllowed,
            "you cannot block yourself".to_owned(),
        ));
    }
    if block {
        let blocked = cx.store.blocked_by(cx.name).await.map_err(internal)?;
        if blocked.len() >= MAX_BLOCKS && !blocked.iter().any(|b| b.key() == user.key()) {
            return Err((
                ErrorCode::TooManyBlocks,
                format!("you block {MAX_BLOCKS} users already"),
            ));
        }
        cx.store.block(cx.name, &user).await.map_err(internal)?;
    } else {
        cx.store.unblock(cx.name, &user).await.map_err(internal)?;
    }
    tracing::info!(user = %cx.name, other = %user, block, "block list changed");
    let users: Vec<String> = cx
        .store
        .blocked_by(cx.name)
        .await
        .map_err(internal)?
        .iter()
        .map(ToString::to_string)
        .collect();
    let answer = ServerFrame::Blocked {
        users: users.clone(),
        req,
    };
    let others = ServerFrame::Blocked { users, req: None };
    cx.hub.tell_user(cx.name, &others, cx.id, &answer);
    Ok(())
}
