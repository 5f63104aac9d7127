//! Files: those a message carries (a picture's thumbnail, a link to it at full size; any other
//! file a chip with its name and size, a download), and the composer's, with their progress,
//! added by its button, by dropping them on it, or by pasting.

use leptos::prelude::*;
use shared::attachments::format_size;
use shared::Attachment;
use web_sys::FileList;

use crate::state::uploads::{file_url, Uploads};

/// The session's token, for uploads.
#[derive(Clone)]
pub(super) struct FileToken(pub(super) String);

/// The files of a message, by their plain addresses (the files cookie says who asks).
pub(super) fn files(list: &[Attachment]) -> impl IntoView {
    let items = list
        .iter()
        .map(|a| {
            let full = file_url(&a.id, false);
            if a.is_inline_image() {
                view! {
                    <a class="thumb" href=full target="_blank" rel="noopener" title="Open full size">
                        <img src=file_url(&a.id, true) alt=a.name.clone() data-testid="attachment-image" />
                    </a>
                }
                .into_any()
            } else {
                view! {
                    <a class="chip" href=full download=a.name.clone() data-testid="attachment-file">
                        {format!("📎 {} · {}", a.name, format_size(a.size))}
                    </a>
                }
                .into_any()
            }
        })
        .collect_view();
    view! { <div class="files">{items}</div> }
}

/// Starts uploading every file of `list` into `uploads`, with the session's `token`.
pub(super) fn add(uploads: RwSignal<Uploads>, token: &FileToken, list: Option<FileList>) {
    let Some(list) = list else {
        return;
    };
    for file in (0..list.length()).filter_map(|i| list.get(i)) {
        let local = uploads
            .try_update(|u| u.start(&file.name(), file.size() as u64))
            .unwrap_or_default();
        crate::upload::upload(
            &file,
            &token.0,
            move |sent| uploads.update(|u| u.progress(local, sent)),
            move |done| uploads.update(|u| u.finish(local, done)),
        );
    }
}

/// The composer's files on their way or ready, each with a button that takes it off.
pub(super) fn pending(uploads: RwSignal<Uploads>) -> impl IntoView {
    view! {
        <ul class="files" aria-label="Files to send" data-testid="uploads">
            {move || {
                uploads
                    .with(|u| u.items().to_vec())
                    .into_iter()
                    .map(|item| {
                        let local = item.local;
                        view! {
                            <li class="chip" class:failed=item.failed.is_some() data-testid="upload">
                                {item.label()}
                                <button
                                    type="button"
                                    class="icon"
                                    aria-label=format!("Remove {}", item.name)
                                    on:click=move |_| uploads.update(|u| u.remove(local))
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}
