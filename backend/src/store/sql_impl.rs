//! `impl Store for SqlStore`: each method of the trait handed to the module of its concern
//! (the list is in `mod.rs`), so that the trait and its one implementation each read in one
//! sitting.

use super::*;

/// Each method is answered by the module of its concern.
#[async_trait]
impl Store for SqlStore {
    async fn create_account(
        &self,
        name: &UserName,
        password_hash: Option<&str>,
        session: Option<&NewSession>,
    ) -> Result<(), StoreError> {
        accounts::create_account(self, name, password_hash, session).await
    }

    async fn find_account(&self, name: &UserName) -> Result<Option<Account>, StoreError> {
        accounts::find_account(self, name).await
    }

    async fn delete_account(&self, name: &UserName) -> Result<(), StoreError> {
        accounts::delete_account(self, name).await
    }

    async fn replace_account(
        &self,
        name: &UserName,
        password_hash: Option<&str>,
        session: Option<&NewSession>,
    ) -> Result<(), StoreError> {
        accounts::replace_account(self, name, password_hash, session).await
    }

    async fn write_sessions(
        &self,
        batch: &[SessionWrite],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        sign_ins::write_sessions(self, batch).await
    }

    async fn set_password(&self, name: &UserName, password_hash: &str) -> Result<bool, StoreError> {
        accounts::set_password(self, name, password_hash).await
    }

    async fn create_session(
        &self,
        session: &NewSession,
        name: &UserName,
    ) -> Result<(), StoreError> {
        accounts::create_session(self, session, name).await
    }

    async fn find_session(&self, id: &SessionId) -> Result<Option<SessionOwner>, StoreError> {
        accounts::find_session(self, id).await
    }

    async fn touch_session(&self, id: &SessionId, at_ms: u64) -> Result<(), StoreError> {
        accounts::touch_session(self, id, at_ms).await
    }

    async fn set_last_seen(&self, seen: &[(UserName, u64)]) -> Result<(), StoreError> {
        accounts::set_last_seen(self, seen).await
    }

    async fn sessions_of(&self, name: &UserName) -> Result<Vec<SessionRecord>, StoreError> {
        accounts::sessions_of(self, name).await
    }

    async fn delete_session(&self, id: &SessionId, name: &UserName) -> Result<u64, StoreError> {
        accounts::delete_session(self, id, name).await
    }

    async fn memberships(&self) -> Result<Vec<(RoomName, UserName)>, StoreError> {
        memberships::memberships(self).await
    }

    async fn join_room(&self, name: &UserName, room: &RoomName) -> Result<Joined, StoreError> {
        memberships::join_room(self, name, room).await
    }

    async fn create_room(
        &self,
        name: &UserName,
        room: &RoomName,
        topic: Option<&str>,
        private: bool,
    ) -> Result<Option<shared::RoomSettings>, StoreError> {
        memberships::create_room(self, name, room, topic, private).await
    }

    async fn leave_room(
        &self,
        name: &UserName,
        room: &RoomName,
    ) -> Result<Option<shared::RoomSettings>, StoreError> {
        memberships::leave_room(self, name, room).await
    }

    async fn rooms(&self) -> Result<Vec<(RoomName, shared::RoomSettings)>, StoreError> {
        rooms::rooms(self).await
    }

    async fn room(&self, room: &RoomName) -> Result<Option<shared::RoomSettings>, StoreError> {
        rooms::room_settings(self, room).await
    }

    async fn public_rooms(
        &self,
        query: &str,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<shared::RoomListing>, StoreError> {
        rooms::public_rooms(self, query, offset, limit).await
    }

    async fn invite(
        &self,
        room: &RoomName,
        from: &UserName,
        to: &UserName,
    ) -> Result<Invited, StoreError> {
        rooms::invite(self, room, from, to).await
    }

    async fn remove_member(&self, action: &Action<'_>) -> Result<bool, StoreError> {
        moderation::remove_member(self, action).await
    }

    async fn unban(&self, action: &Action<'_>) -> Result<bool, StoreError> {
        moderation::unban(self, action).await
    }

    async fn audit(
        &self,
        room: &RoomName,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<shared::AuditEntry>, StoreError> {
        moderation::audit(self, room, before, limit).await
    }

    async fn invitations(&self, name: &UserName) -> Result<Vec<shared::Invite>, StoreError> {
        rooms::invitations(self, name).await
    }

    async fn update_room(
        &self,
        room: &RoomName,
        change: &RoomChange,
    ) -> Result<Option<shared::RoomSettings>, StoreError> {
        rooms::update_room(self, room, change).await
    }

    async fn set_moderator(
        &self,
        room: &RoomName,
        name: &UserName,
        moderator: bool,
    ) -> Result<Option<shared::RoomSettings>, StoreError> {
        rooms::set_moderator(self, room, name, moderator).await
    }

    async fn append(&self, batch: &[NewMessage]) -> Result<Vec<Appended>, StoreError> {
        append::append(self, batch).await
    }

    async fn last_id(&self) -> Result<u64, StoreError> {
        append::last_id(self).await
    }

    async fn find_message(
        &self,
        viewer: &UserName,
        id: u64,
    ) -> Result<Option<FoundMessage>, StoreError> {
        history::find_message(self, viewer, id).await
    }

    async fn history(
        &self,
        conversation: &Conversation,
        before: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<Message>, bool), StoreError> {
        history::history(self, conversation, before, limit).await
    }

    async fn history_around(
        &self,
        conversation: &Conversation,
        id: u64,
        limit: u32,
    ) -> Result<(Vec<Message>, bool), StoreError> {
        history::history_around(self, conversation, id, limit).await
    }

    async fn search(
        &self,
        searcher: &UserName,
        query: &SearchQuery,
    ) -> Result<SearchPage, StoreError> {
        search::search(self, searcher, query).await
    }

    async fn missed(
        &self,
        name: &UserName,
        after: u64,
        up_to: u64,
        limit: u32,
    ) -> Result<Missed, StoreError> {
        history::missed(self, name, after, up_to, limit).await
    }

    async fn since(&self, after: u64, limit: u32) -> Result<Vec<Message>, StoreError> {
        history::since(self, after, limit).await
    }

    async fn conversations(
        &self,
        name: &UserName,
        rooms: &[RoomName],
    ) -> Result<Vec<ConversationInfo>, StoreError> {
        conversations::conversations(self, name, rooms).await
    }

    async fn conversations_page(
        &self,
        name: &UserName,
        rooms: &[RoomName],
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<ConversationInfo>, StoreError> {
        conversations::conversations_page(self, name, rooms, before, limit).await
    }

    async fn start(
        &self,
        session: &SessionId,
        name: &UserName,
        rooms: &[RoomName],
        limit: u32,
    ) -> Result<Start, StoreError> {
        start::start(self, session, name, rooms, limit).await
    }

    async fn joined(
        &self,
        session: &SessionId,
        name: &UserName,
        replay: Option<Replay>,
    ) -> Result<(Opening, Option<Missed>), StoreError> {
        start::joined(self, session, name, replay).await
    }

    async fn mark_read(
        &self,
        name: &UserName,
        conversation: &Conversation,
        up_to: u64,
    ) -> Result<Marked, StoreError> {
        conversations::mark_read(self, name, conversation, up_to).await
    }

    async fn readers(
        &self,
        name: &UserName,
        conversation: &Conversation,
        limit: u32,
    ) -> Result<Readers, StoreError> {
        receipts::readers(self, name, conversation, limit).await
    }

    async fn passed_senders(
        &self,
        conversation: &Conversation,
        after: u64,
        up_to: u64,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        receipts::passed_senders(self, conversation, after, up_to, limit).await
    }

    async fn authored(
        &self,
        name: &UserName,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        export::authored(self, name, after, limit).await
    }

    async fn create_export_ticket(
        &self,
        hash: &str,
        name: &UserName,
        expires_at: u64,
    ) -> Result<(), StoreError> {
        export::create_export_ticket(self, hash, name, expires_at).await
    }

    async fn take_export_ticket(
        &self,
        hash: &str,
        now: u64,
    ) -> Result<Option<UserName>, StoreError> {
        export::take_export_ticket(self, hash, now).await
    }

    async fn add_attachment(
        &self,
        record: &AttachmentRecord,
        quota: u64,
    ) -> Result<bool, StoreError> {
        files::add(self, record, quota).await
    }

    async fn attachment(&self, id: &str) -> Result<Option<AttachmentRecord>, StoreError> {
        files::find(self, id).await
    }

    async fn attachments_of(
        &self,
        uploader: &UserName,
    ) -> Result<Vec<AttachmentRecord>, StoreError> {
        files::of_uploader(self, uploader).await
    }

    async fn may_read_attachment(
        &self,
        viewer: &UserName,
        record: &AttachmentRecord,
    ) -> Result<bool, StoreError> {
        files::may_read(self, viewer, record).await
    }

    async fn doomed_attachments(
        &self,
        unsent_before: u64,
        limit: u32,
    ) -> Result<Vec<AttachmentRecord>, StoreError> {
        files::doomed(self, unsent_before, limit).await
    }

    async fn forget_attachments(&self, ids: &[String]) -> Result<(), StoreError> {
        files::forget(self, ids).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn probe_write(&self) -> Result<(), StoreError> {
        // On the writer's connection, where `append` runs; the row is the one every append
        // locks first, updated to itself and rolled back: nothing reaches the disk.
        let mut conn = self.writer.conn().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        sqlx::query("UPDATE sequences SET value = value WHERE name = 'messages'")
            .execute(&mut *tx)
            .await?;
        tx.rollback().await?;
        conn.give_back();
        Ok(())
    }

    fn engine(&self) -> &'static str {
        self.engine.name()
    }

    fn lists_behind(&self) -> Option<u64> {
        self.lists.behind()
    }
}
