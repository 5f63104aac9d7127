//! The message box: Enter sends, Shift+Enter starts a new line, a counter near the limit,
//! `@name` completion; Up in an empty box edits our last message, and a bar above the box says
//! when it edits a message or answers one (Escape gives up either); files added by the 📎
//! button, dropped on the box or pasted upload at once and go with the message. Also the
//! conversation's heading and the list's pin, which the box shares with the conversation view.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

use super::files;
use super::mention_list::{self, MentionList};
use super::message_actions::send_with;
use super::reading::DraftKeeper;
use crate::browser;
use crate::connection::Socket;
use crate::follow::Follow;
use crate::state::composer::{self, TypingThrottle};
use crate::state::mention_complete::{byte_of_utf16, utf16_of_byte, Completion};
use crate::state::uploads::Uploads;
use crate::state::{ChatState, ConvKey};

pub(super) fn heading(state: &ChatState) -> String {
    match state.active() {
        ConvKey::Room(room) => format!("#{room}"),
        ConvKey::Direct(_) => state
            .active_conversation()
            .map(|c| c.title.clone())
            .unwrap_or_default(),
    }
}

/// The message list and its follow state, for the composer: when the box grows, the list
/// shrinks, and a list that follows the newest messages should stay at the bottom.
#[derive(Clone, Copy)]
pub(super) struct ListPin {
    /// The message list.
    pub(super) list: NodeRef<html::Div>,
    /// Whether it follows the newest messages.
    pub(super) follow: StoredValue<Follow>,
}

impl ListPin {
    pub(super) fn keep(self) {
        if self.follow.try_with_value(Follow::following) == Some(true) {
            scroll_to_bottom(self.list);
        }
    }
}

pub(super) fn scroll_to_bottom(list: NodeRef<html::Div>) {
    request_animation_frame(move || {
        if let Some(el) = list.get_untracked() {
            el.set_scroll_top(el.scroll_height());
        }
    });
}

/// The message box: Enter sends, Shift+Enter starts a new line; a counter near the limit.
#[component]
pub(super) fn Composer() -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let socket = expect_context::<Socket>();
    // One draft per conversation: the box shows the open one's, and switching swaps it.
    let drafts = DraftKeeper::load(&state.with_untracked(|s| s.me().to_owned()));
    let active = Memo::new(move |_| state.with(|s| s.active().clone()));
    let draft = RwSignal::new(drafts.get(&active.get_untracked()));
    // `@name` completion: the members matching the token at the cursor.
    let completion = RwSignal::new(Completion::default());
    let input = NodeRef::<html::Textarea>::new();
    let complete = move || {
        let Some(el) = input.get_untracked() else {
            return;
        };
        let text = el.value();
        let units = el.selection_start().ok().flatten().unwrap_or(0);
        let cursor = byte_of_utf16(&text, usize::try_from(units).unwrap_or(0));
        let members = state.with_untracked(ChatState::mentionable);
        completion.update(|c| c.update(&text, cursor, &members));
    };
    let choose = Callback::new(move |index: usize| {
        let text = draft.get_untracked();
        let Some((text, cursor)) = completion.try_update(|c| c.choose(&text, index)).flatten()
        else {
            return;
        };
        let units = u32::try_from(utf16_of_byte(&text, cursor)).unwrap_or(0);
        drafts.set(&active.get_untracked(), &text);
        draft.set(text);
        request_animation_frame(move || {
            if let Some(el) = input.get_untracked() {
                let _ = el.set_selection_range(units, units);
                let _ = el.focus();
            }
        });
    });
    let problem = RwSignal::new(None::<String>);
    let uploads = RwSignal::new(Uploads::default());
    let token = StoredValue::new(
        use_context::<files::FileToken>().unwrap_or(files::FileToken(String::new())),
    );
    let file_input = NodeRef::<html::Input>::new();
    let throttle = StoredValue::new(TypingThrottle::default());
    let pin = expect_context::<ListPin>();
    let blocker = Memo::new(move |_| state.with(|s| s.send_blocker(s.active())));
    let counter = Memo::new(move |_| draft.with(|d| composer::counter(d)));
    let label = Memo::new(move |_| format!("Message {}", state.with(heading)));
    let editing = Memo::new(move |_| state.with(ChatState::editing));
    // Editing shows the message's text in the box; done, the box shows the draft again.
    // Another conversation, or an edit begun or done: the box shows that conversation's draft,
    // or the text being edited.
    Effect::new(move |_| {
        let key = active.get();
        completion.set(Completion::default());
        let text = editing.get().and_then(|id| {
            state.with_untracked(|s| {
                s.active_conversation()
                    .and_then(|c| c.message(id))
                    .map(|m| m.body.clone())
            })
        });
        draft.set(text.unwrap_or_else(|| drafts.get(&key)));
    });
    // Above the box: what it is doing besides writing a new message.
    let bar = Memo::new(move |_| state.with(ChatState::compose_note));

    let send = move || {
        let key = state.with_untracked(|s| s.active().clone());
        let body = draft.get_untracked();
        if editing.get_untracked().is_some() {
            let now = browser::now_ms();
            match state.try_update(|s| s.save_edit(&body, now)) {
                Some(Ok(frame)) => {
                    send_with(state, socket, |_| frame);
                    problem.set(None);
                }
                Some(Err(why)) => problem.set(Some(why.to_string())),
                None => {}
            }
            return;
        }
        // A slash command (rooms, moderation) is a frame, not a message.
        if let Some(command) = state.try_update(|s| s.command(&key, &body)).flatten() {
            match command {
                Ok(frame) => {
                    if let Some(frame) = frame {
                        socket.send(&frame);
                        if let shared::ClientFrame::Rooms { query, .. } = &frame {
                            super::room_browser::open_browser(Some(
                                query.as_deref().unwrap_or_default(),
                            ));
                        }
                    }
                    drafts.set(&key, "");
                    draft.set(String::new());
                    problem.set(None);
                }
                Err(why) => problem.set(Some(why)),
            }
            return;
        }
        if uploads.with_untracked(Uploads::busy) {
            problem.set(Some("Wait until the files have uploaded.".into()));
            return;
        }
        let ready = uploads.with_untracked(|u| u.items().iter().any(|i| i.done.is_some()));
        let attachments = if ready {
            uploads.try_update(Uploads::take_ready).unwrap_or_default()
        } else {
            Vec::new()
        };
        match state.try_update(|s| s.send_files(&key, &body, attachments, browser::now_ms())) {
            Some(Ok(frame)) => {
                if let Some(frame) = frame {
                    if !socket.send(&frame) {
                        state.update(|s| s.send_failed(&frame));
                    }
                }
                drafts.set(&key, "");
                draft.set(String::new());
                problem.set(None);
            }
            Some(Err(why)) => problem.set(Some(why.to_string())),
            None => {}
        }
    };
    let typed = move || {
        if draft.with_untracked(String::is_empty) {
            return;
        }
        let key = state.with_untracked(|s| s.active().clone());
        let Some(frame) = state.with_untracked(|s| s.typing_frame(&key)) else {
            return;
        };
        let now = browser::now_ms();
        if throttle
            .try_update_value(|t| t.should_send(&key, now))
            .unwrap_or(false)
        {
            socket.send(&frame);
        }
    };

    view! {
        <form
            class="composer"
            on:submit=move |ev| {
                ev.prevent_default();
                send();
            }
            on:dragover=move |ev| ev.prevent_default()
            on:drop=move |ev| {
                ev.prevent_default();
                token.with_value(|t| files::add(uploads, t, ev.data_transfer().and_then(|d| d.files())));
            }
        >
            <div class="compose-bar" hidden=move || bar.with(Option::is_none) data-testid="compose-bar">
                <span>{move || bar.get()}</span>
                <button
                    type="button"
                    class="icon"
                    aria-label="Cancel (Escape)"
                    data-testid="compose-cancel"
                    on:click=move |_| {
                        state.update(|s| {
                            s.cancel_edit();
                            s.cancel_reply();
                        });
                        if let Some(el) = input.get_untracked() {
                            let _ = el.focus();
                        }
                    }
                >
                    "×"
                </button>
            </div>
            <label for="composer-input" class="visually-hidden">{move || label.get()}</label>
            <div class="inline">
                <textarea
                    id="composer-input"
                    node_ref=input
                    aria-autocomplete="list"
                    aria-controls=move || completion.with(Completion::is_open).then_some(mention_list::LIST_ID)
                    aria-activedescendant=move || {
                        completion
                            .with(|c| c.is_open().then(|| mention_list::option_id(c.selected())))
                    }
                    data-testid="composer"
                    dir="auto"
                    rows="1"
                    placeholder=move || label.get()
                    aria-describedby="composer-help composer-counter composer-problem"
                    aria-invalid=move || counter.with(|c| c.as_ref().is_some_and(|c| c.over)).to_string()
                    prop:value=move || draft.get()
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        if editing.get_untracked().is_none() {
                            drafts.set(&active.get_untracked(), &text);
                        }
                        draft.set(text);
                        problem.set(None);
                        typed();
                        pin.keep();
                        complete();
                    }
                    on:click=move |_| complete()
                    on:paste=move |ev| {
                        let pasted = ev.clipboard_data().and_then(|d| d.files());
                        if pasted.as_ref().is_some_and(|f| f.length() > 0) {
                            ev.prevent_default();
                            token.with_value(|t| files::add(uploads, t, pasted));
                        }
                    }
                    on:keyup=move |ev: KeyboardEvent| {
                        if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End") {
                            complete();
                        }
                    }
                    on:keydown=move |ev: KeyboardEvent| {
                        if completion.with_untracked(Completion::is_open) && !ev.is_composing() {
                            let step = match ev.key().as_str() {
                                "ArrowDown" => Some(1),
                                "ArrowUp" => Some(-1),
                                _ => None,
                            };
                            if let Some(step) = step {
                                ev.prevent_default();
                                completion.update(|c| c.step(step));
                                return;
                            }
                            if matches!(ev.key().as_str(), "Enter" | "Tab") && !ev.shift_key() {
                                ev.prevent_default();
                                choose.run(completion.with_untracked(Completion::selected));
                                return;
                            }
                            if ev.key() == "Escape" {
                                ev.prevent_default();
                                ev.stop_propagation();
                                completion.update(Completion::dismiss);
                                return;
                            }
                        }
                        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                            ev.prevent_default();
                            send();
                        }
                        if ev.key() == "Escape" && bar.with_untracked(Option::is_some) {
                            ev.prevent_default();
                            ev.stop_propagation();
                            state.update(|s| {
                                s.cancel_edit();
                                s.cancel_reply();
                            });
                        }
                        // Up in an empty box edits our last message, as in Slack.
                        if ev.key() == "ArrowUp" && draft.with_untracked(String::is_empty) {
                            if let Some(id) = state.with_untracked(ChatState::last_editable) {
                                ev.prevent_default();
                                state.update(|s| {
                                    s.start_edit(id);
                                });
                            }
                        }
                    }
                ></textarea>
                <input
                    type="file"
                    multiple
                    class="visually-hidden"
                    tabindex="-1"
                    aria-hidden="true"
                    node_ref=file_input
                    data-testid="file-input"
                    on:change=move |_| {
                        let el = file_input.get_untracked();
                        token.with_value(|t| files::add(uploads, t, el.as_ref().and_then(|el| el.files())));
                        if let Some(el) = el {
                            el.set_value("");
                        }
                    }
                />
                <button
                    type="button"
                    class="icon"
                    aria-label="Attach files"
                    title="Attach files (or drop or paste them here)"
                    data-testid="attach"
                    on:click=move |_| {
                        if let Some(el) = file_input.get_untracked() {
                            el.click();
                        }
                    }
                >
                    "📎"
                </button>
                <button type="submit" class="primary" data-testid="send">
                    "Send"
                </button>
            </div>
            {files::pending(uploads)}
            <MentionList completion=completion choose=choose />
            <div class="composer-foot">
                <span
                    id="composer-help"
                    class="muted small"
                    class:hint=move || blocker.with(Option::is_none)
                    data-testid="composer-help"
                >
                    {move || {
                        blocker
                            .get()
                            .unwrap_or_else(|| "Enter sends · Shift+Enter adds a line".to_owned())
                    }}
                </span>
                <span
                    id="composer-counter"
                    class="counter small"
                    class:over=move || counter.with(|c| c.as_ref().is_some_and(|c| c.over))
                    data-testid="char-counter"
                >
                    {move || counter.get().map(|c| c.text)}
                </span>
            </div>
            <p id="composer-problem" class="problem" role="alert" data-testid="composer-problem">
                {move || problem.get()}
            </p>
        </form>
    }
}
