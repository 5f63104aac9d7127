//! Private conversations beyond the first page: `welcome` lists our rooms and only the newest
//! private conversations; when it says more exist (`conversations_complete: false`), we ask
//! for the next page with `conversations`, older than the oldest we were told of, until the
//! server says the list is complete.

use shared::{ClientFrame, ConversationInfo, Target};

use super::{ChatState, ConvKey};

impl ChatState {
    /// Takes where each listed conversation stands; returns the request for the next page
    /// when older private conversations exist.
    pub(super) fn conversations_listed(
        &mut self,
        conversations: Vec<ConversationInfo>,
        complete: bool,
    ) -> Option<ClientFrame> {
        let oldest = conversations
            .iter()
            .filter(|info| matches!(info.target, Target::User { .. }))
            .map(|info| info.last_id)
            .min();
        for info in conversations {
            let title = match &info.target {
                Target::Room { room } => room.clone(),
                Target::User { to } => to.clone(),
            };
            let conv = self.convs.entry(&ConvKey::of(&info.target), &title);
            conv.title = title;
            conv.counted(&info);
            if let (Target::User { to }, Some(at)) = (&info.target, info.last_seen) {
                self.presence.seen_at(to, at);
            }
        }
        match (complete, oldest) {
            (false, Some(before)) => Some(ClientFrame::Conversations {
                before: Some(before),
                req: Some(self.reqs.take()),
            }),
            _ => None,
        }
    }
}
