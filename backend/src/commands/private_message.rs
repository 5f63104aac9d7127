//! `private_message`: a message to one user who has an account, online or not, stored, then
//! delivered to both sides' connections and acknowledged (by the journal). A reply names a
//! message of the same private conversation; attachments are the sender's unsent uploads.

use shared::ErrorCode;

use super::{body_ok, Context, Refusal};
use crate::message::{Conversation, Destination, NewMessage};

pub(super) async fn run(
    cx: &Context<'_>,
    to: &str,
    body: String,
    reply_to: Option<u64>,
    attachments: Vec<String>,
    req: Option<String>,
) -> Result<(), Refusal> {
    let to = cx.existing_user(to).await?;
    body_ok(&body, &attachments)?;
    if let Some(id) = reply_to {
        let found = cx.visible_message(id).await?;
        let here = Conversation::Private {
            me: cx.name.clone(),
            other: to.clone(),
        };
        let same = match &found.to {
            Destination::User(recipient) => {
                Conversation::Private {
                    me: found.from.clone(),
                    other: recipient.clone(),
                }
                .key()
                    == here.key()
            }
            Destination::Room(_) => false,
        };
        if !same {
            return Err((
                ErrorCode::UnknownMessage,
                format!("there is no message {id} in this conversation"),
            ));
        }
    }
    let message = NewMessage {
        reply_to,
        attachments: cx.own_attachments(&attachments).await?,
        ..Context::message(cx.name.clone(), Destination::User(to), body, req)
    };
    cx.store_and_deliver(message).await
}
