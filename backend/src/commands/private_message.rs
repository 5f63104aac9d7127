//! `private_message`: a message to one user who has an account, online or not, stored, then
//! delivered to both sides' connections and acknowledged (by the journal).

use super::{body_ok, Context, Refusal};
use crate::message::Destination;

pub(super) async fn run(
    cx: &Context<'_>,
    to: &str,
    body: String,
    req: Option<String>,
) -> Result<(), Refusal> {
    let to = cx.existing_user(to).await?;
    body_ok(&body)?;
    cx.store_and_deliver(cx.name.clone(), Destination::User(to), body, req)
        .await
}
