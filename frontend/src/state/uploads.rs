//! Files on their way from the composer: each one's progress while it uploads
//! (`POST /api/attachments`), then the attachment the server answered, or why it failed. The
//! message that carries them goes out once none is still uploading; the upload itself is the
//! browser's (the `upload` module). Also the addresses a message's files are fetched from.

use shared::api::ApiError;
use shared::attachments::format_size;
use shared::Attachment;

/// One file chosen, dropped or pasted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Ours, to find it again when the browser reports on it.
    pub local: u32,
    pub name: String,
    pub size: u64,
    /// Bytes sent so far.
    pub sent: u64,
    /// What the server stored.
    pub done: Option<Attachment>,
    /// Why it did not upload.
    pub failed: Option<String>,
}

impl Upload {
    /// "cat.png · 45%", "cat.png · 1.2 MB", or "cat.png: why".
    pub fn label(&self) -> String {
        match (&self.done, &self.failed) {
            (_, Some(why)) => format!("{}: {why}", self.name),
            (Some(a), None) => format!("{} · {}", a.name, format_size(a.size)),
            (None, None) => format!("{} · {}%", self.name, self.percent()),
        }
    }

    /// How much is sent, 0 to 100.
    pub fn percent(&self) -> u64 {
        (self.sent.min(self.size) * 100)
            .checked_div(self.size)
            .unwrap_or(100)
    }
}

/// The composer's files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uploads {
    items: Vec<Upload>,
    next: u32,
}

impl Uploads {
    /// A file starts uploading: its local number.
    pub fn start(&mut self, name: &str, size: u64) -> u32 {
        self.next += 1;
        self.items.push(Upload {
            local: self.next,
            name: shared::attachments::clean_file_name(name),
            size,
            sent: 0,
            done: None,
            failed: None,
        });
        self.next
    }

    fn get(&mut self, local: u32) -> Option<&mut Upload> {
        self.items.iter_mut().find(|u| u.local == local)
    }

    pub fn progress(&mut self, local: u32, sent: u64) {
        if let Some(upload) = self.get(local) {
            upload.sent = sent;
        }
    }

    /// The server's answer (or the failure) for upload `local`.
    pub fn finish(&mut self, local: u32, result: Result<Attachment, String>) {
        if let Some(upload) = self.get(local) {
            upload.sent = upload.size;
            match result {
                Ok(attachment) => upload.done = Some(attachment),
                Err(why) => upload.failed = Some(why),
            }
        }
    }

    /// Takes a file off the message.
    pub fn remove(&mut self, local: u32) {
        self.items.retain(|u| u.local != local);
    }

    pub fn items(&self) -> &[Upload] {
        &self.items
    }

    /// Whether a file is still on its way: the message waits for it.
    pub fn busy(&self) -> bool {
        self.items
            .iter()
            .any(|u| u.done.is_none() && u.failed.is_none())
    }

    /// The files uploaded, for the message; the list empties (failed ones go too).
    pub fn take_ready(&mut self) -> Vec<Attachment> {
        std::mem::take(&mut self.items)
            .into_iter()
            .filter_map(|u| u.done)
            .take(shared::attachments::MAX_ATTACHMENTS)
            .collect()
    }
}

/// Why an upload failed, from the server's answer (`status`, and its error body if any).
pub fn refusal(status: u16, error: Option<ApiError>) -> String {
    match (status, error) {
        (0, _) => "the upload did not reach the server".to_owned(),
        (401, _) => "signed out; sign in again".to_owned(),
        (_, Some(e)) if !e.message.is_empty() => e.message,
        (status, _) => format!("the server answered {status}"),
    }
}

/// Where file `id` is fetched from: the file, or its thumbnail. The address holds no token
/// (it would show in the address bar and the history of a picture opened in a tab): the
/// browser sends the `HttpOnly` files cookie that signing in and the token check set.
pub fn file_url(id: &str, thumbnail: bool) -> String {
    let part = if thumbnail { "/thumbnail" } else { "" };
    format!("/api/attachments/{id}{part}")
}

/// The upload's address for a file named `name` (percent-encoded by the caller's
/// `encode`, the browser's `encodeURIComponent`).
pub fn upload_url(encoded_name: &str) -> String {
    format!("/api/attachments?name={encoded_name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attachment(name: &str, size: u64) -> Attachment {
        Attachment {
            id: format!("id-{name}"),
            name: name.into(),
            content_type: "image/png".into(),
            size,
        }
    }

    #[test]
    fn an_upload_shows_its_progress_then_its_size_or_its_failure() {
        let mut uploads = Uploads::default();
        let cat = uploads.start("C:\\pictures\\cat.png", 2000);
        let dog = uploads.start("dog.png", 0);
        assert_eq!(uploads.items()[0].name, "cat.png");
        assert!(uploads.busy());
        uploads.progress(cat, 900);
        assert_eq!(uploads.items()[0].label(), "cat.png · 45%");
        assert_eq!(
            uploads.items()[1].percent(),
            100,
            "an empty file is all sent"
        );
        uploads.finish(cat, Ok(attachment("cat.png", 2000)));
        assert_eq!(uploads.items()[0].label(), "cat.png · 1.9 KB");
        assert!(uploads.busy(), "dog is still on its way");
        uploads.finish(dog, Err("too large".into()));
        assert_eq!(uploads.items()[1].label(), "dog.png: too large");
        assert!(!uploads.busy());
        assert_eq!(uploads.take_ready(), [attachment("cat.png", 2000)]);
        assert!(uploads.items().is_empty());
    }

    #[test]
    fn a_removed_file_is_not_sent_and_reports_on_it_are_ignored() {
        let mut uploads = Uploads::default();
        let a = uploads.start("a.txt", 10);
        uploads.remove(a);
        uploads.progress(a, 5);
        uploads.finish(a, Ok(attachment("a.txt", 10)));
        assert!(!uploads.busy());
        assert!(uploads.take_ready().is_empty());
    }

    #[test]
    fn refusals_say_why_in_words() {
        let quota = ApiError {
            code: shared::ErrorCode::QuotaExceeded,
            message: "this upload would take your files past your quota".into(),
        };
        assert_eq!(
            refusal(413, Some(quota)),
            "this upload would take your files past your quota"
        );
        assert_eq!(refusal(0, None), "the upload did not reach the server");
        assert_eq!(refusal(401, None), "signed out; sign in again");
        assert_eq!(refusal(502, None), "the server answered 502");
    }

    #[test]
    fn files_are_fetched_by_their_plain_address() {
        assert_eq!(file_url("ab", false), "/api/attachments/ab");
        assert_eq!(file_url("ab", true), "/api/attachments/ab/thumbnail");
        assert_eq!(upload_url("a%20b.png"), "/api/attachments?name=a%20b.png");
    }
}
