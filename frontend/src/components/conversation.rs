//! The open conversation: its heading, the message list (which follows new messages unless the
//! reader scrolled up, and loads older pages when scrolled to the top), who is typing, and
//! the message box.

use leptos::html;
use leptos::prelude::*;

use super::chat::Clock;
use super::composer::{heading, scroll_to_bottom, Composer, ListPin};
use super::formatted::Formatted;
use super::message_actions;
use super::reactions::reactions;
use super::reading::{self, Avatar, DaySeparator, NewDivider};
use super::reply_quote::reply_quote;
use super::seen::{SeenLine, SeenNote};
use crate::browser;
use crate::connection::Socket;
use crate::entries::Entry;
use crate::follow::{self, Follow, Scroll};
use crate::last_seen;
use crate::state::{commands, Availability, ChatState, ConvKey};
use crate::timeline::{Millis, Row, Status};

/// Below the title: who is online in a room, the other person's presence in a private
/// conversation ("last seen 5 min ago" at `now` when offline).
fn subheading(state: &ChatState, now: Millis) -> String {
    match state.active_conversation() {
        // Everyone online is in lobby; the server sends no joins or leaves for it, only how
        // many are online.
        Some(c) if c.key == ConvKey::lobby() && !state.presence_known() => {
            "who is online: unknown while disconnected".to_owned()
        }
        Some(c) if c.key == ConvKey::lobby() => format!("{} online", state.online_count()),
        Some(c) if c.is_room() => commands::room_subheading(c),
        Some(c) => {
            let presence = match state.availability(&c.title) {
                Availability::Unknown => "presence unknown".to_owned(),
                Availability::Online => "online".to_owned(),
                Availability::Away => "away".to_owned(),
                Availability::Offline(None) => "offline".to_owned(),
                Availability::Offline(Some(at)) => {
                    last_seen::text(at, now, browser::utc_offset_minutes(now))
                }
            };
            // A released name's new holder (`former`).
            let new = if c.since.is_some() {
                " · new account"
            } else {
                ""
            };
            format!("{presence} · private{new}")
        }
        None => String::new(),
    }
}

#[component]
pub fn ConversationView() -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let active = Memo::new(move |_| state.with(|s| s.active().clone()));
    let title = Memo::new(move |_| state.with(heading));
    let Clock(clock) = expect_context::<Clock>();
    // "last seen 5 min ago" moves on every minute.
    let minute = Memo::new(move |_| clock.get() / 60_000);
    let subtitle = Memo::new(move |_| {
        minute.track();
        state.with(|s| subheading(s, browser::now_ms()))
    });
    let rows = Memo::new(move |_| state.with(ChatState::active_rows));
    let entries = reading::active_entries(state, rows);
    let typing = Memo::new(move |_| state.with(|s| s.typing_text(s.active())));
    provide_context(SeenLine(Memo::new(move |_| {
        state.with(|s| s.receipt(s.active()))
    })));
    let socket = expect_context::<Socket>();
    // Above the oldest message: more is loading, or this is where the conversation began.
    let edge = Memo::new(move |_| {
        state.with(|s| {
            let c = s.active_conversation()?;
            if c.is_loading() {
                Some("Loading earlier messages…")
            } else if c.complete && !c.lines.is_empty() {
                Some("This is the beginning of the conversation.")
            } else {
                None
            }
        })
    });

    let list = NodeRef::<html::Div>::new();
    let follow = StoredValue::new(Follow::default());
    let unseen = RwSignal::new(false);
    // The list's scroll position and height when last looked at, to keep the reader's place
    // when older messages arrive above.
    let place = StoredValue::new((0_i32, 0_i32));
    let remember_place = move |el: &web_sys::HtmlElement| {
        place.set_value((el.scroll_top(), el.scroll_height()));
    };
    let load_older = move || {
        let key = state.with_untracked(|s| s.active().clone());
        let frame = state.try_maybe_update(|s| {
            let frame = s.older_request(&key);
            (frame.is_some(), frame)
        });
        if let Some(Some(frame)) = frame {
            if !socket.send(&frame) {
                state.update(|s| s.send_failed(&frame));
            }
        }
    };
    provide_context(ListPin { list, follow });
    let act = move |ev: &web_sys::Event| message_actions::act(state, socket, ev);
    // The conversation last opened, and whether the list was taken to its "New" divider.
    let opened = StoredValue::new((None::<ConvKey>, false));
    Effect::new(move |_| {
        let key = active.get();
        let divider = entries.with(|e| e.contains(&Entry::New));
        let (first, last) = rows.with(|rows| {
            (
                rows.first().map(Row::seq),
                rows.last()
                    .map(|row| (row.seq(), matches!(row, Row::Message { own: true, .. }))),
            )
        });
        let scroll = follow.try_update_value(|f| f.rows_changed(&key, first, last));
        unseen.set(follow.with_value(Follow::unseen));
        let Some(el) = list.get_untracked() else {
            return;
        };
        match scroll {
            Some(Scroll::ToBottom) => scroll_to_bottom(list),
            Some(Scroll::KeepPlace) => {
                let (top, height) = place.get_value();
                el.set_scroll_top(follow::kept_place(top, height, el.scroll_height()));
            }
            _ => {}
        }
        // Opening a conversation with unread messages shows them from the divider on.
        if opened.with_value(|(k, _)| k.as_ref() != Some(&key)) {
            opened.set_value((Some(key.clone()), false));
        }
        if divider && opened.with_value(|(_, jumped)| !jumped) {
            opened.update_value(|(_, jumped)| *jumped = true);
            reading::scroll_to_divider(list);
        }
        remember_place(&el);
        // A quoted message sought, now drawn; the keyboard's place after a row was redrawn.
        request_animation_frame(move || {
            if state
                .with_untracked(ChatState::sought)
                .is_some_and(message_actions::reveal)
            {
                state.update(ChatState::found);
            }
        });
        // A list too short to scroll never reaches its top by scrolling: load more. Look after
        // layout, when the rows just added have their height.
        request_animation_frame(move || {
            if let Some(el) = list.get_untracked() {
                if el.scroll_height() <= el.client_height() {
                    load_older();
                }
            }
        });
    });
    let on_scroll = move |_| {
        if let Some(el) = list.get_untracked() {
            let distance = el.scroll_height() - el.scroll_top() - el.client_height();
            follow.update_value(|f| f.scrolled(f64::from(distance)));
            let now_unseen = follow.with_value(Follow::unseen);
            if unseen.get_untracked() != now_unseen {
                unseen.set(now_unseen);
            }
            remember_place(&el);
            if follow::wants_older(
                f64::from(el.scroll_top()),
                f64::from(el.scroll_height()),
                f64::from(el.client_height()),
            ) {
                load_older();
            }
        }
    };
    let jump = move |_| {
        follow.update_value(Follow::jumped);
        unseen.set(false);
        scroll_to_bottom(list);
    };

    view! {
        <main class="conversation" aria-labelledby="conv-title">
            <header class="conv-header">
                <h2 id="conv-title" data-testid="conv-title">{move || title.get()}</h2>
                <span class="muted small" data-testid="conv-subtitle">{move || subtitle.get()}</span>
                <MuteToggle />
                <BlockToggle />
                <button
                    class="quiet small"
                    data-testid="audit-more"
                    hidden=move || !state.with(ChatState::audit_has_older)
                    on:click=move |_| message_actions::send_with(state, socket, ChatState::older_audit)
                >
                    "Older audit log entries"
                </button>
            </header>
            <div
                class="messages"
                id="message-list"
                node_ref=list
                on:scroll=on_scroll
                tabindex="0"
                aria-label=move || format!("Messages in {}", title.get())
                data-testid="message-list"
            >
                {move || {
                    edge.get()
                        .map(|text| {
                            view! { <p class="history-edge muted small" data-testid="history-edge">{text}</p> }
                        })
                }}
                <Show when=move || {
                    rows.with(Vec::is_empty)
                        && state.with(|s| s.active_conversation().is_none_or(|c| c.loaded))
                }>
                    <p class="empty muted">"No messages here yet. Say hello!"</p>
                </Show>
                <ol class="rows" on:click=move |ev| act(&ev) on:submit=move |ev| act(&ev)>
                    <For each=move || entries.get() key=Entry::key let:entry>
                        {match entry {
                            Entry::Day { label, .. } => view! { <DaySeparator label=label /> }.into_any(),
                            Entry::New => view! { <NewDivider /> }.into_any(),
                            Entry::Former { since } => {
                                view! { <reading::FormerDivider since=since /> }.into_any()
                            }
                            Entry::Row { row, shows_sender } => {
                                view! { <RowView row=row shows_sender=shows_sender /> }.into_any()
                            }
                        }}
                    </For>
                </ol>
            </div>
            <button
                class="new-messages"
                data-testid="new-messages"
                hidden=move || !unseen.get()
                on:click=jump
            >
                "New messages ↓"
            </button>
            <p class="typing" data-testid="typing">{move || typing.get()}</p>
            <Composer />
        </main>
    }
}

/// Mutes the open conversation, or unmutes it: no notifications, and its unread count stays
/// out of the tab's title and icon. Kept per user in `localStorage`.
#[component]
fn MuteToggle() -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let muted = Memo::new(move |_| state.with(|s| s.is_muted(s.active())));
    let toggle = move |_| {
        state.update(|s| {
            let key = s.active().clone();
            s.toggle_mute(&key);
            browser::save_mutes(s.me(), s.mutes());
        });
    };
    view! {
        <button
            class="quiet small mute"
            data-testid="mute"
            aria-pressed=move || muted.get().to_string()
            title="No notifications, and not counted in the tab's title"
            on:click=toggle
        >
            <span aria-hidden="true">{move || if muted.get() { "🔕 " } else { "🔔 " }}</span>
            "Mute"
        </button>
    }
}

/// In a private conversation: blocks the other person, or unblocks them (see
/// `state::blocks`).
#[component]
fn BlockToggle() -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let socket = expect_context::<Socket>();
    // The other person of the open private conversation, and whether we block them.
    let other = Memo::new(move |_| {
        state.with(|s| match s.active() {
            ConvKey::Direct(_) => s
                .active_conversation()
                .map(|c| (c.title.clone(), s.blocks(&c.title))),
            ConvKey::Room(_) => None,
        })
    });
    move || {
        other.get().map(|(name, blocked)| {
            let toggle = move |_| {
                if let Some(frame) = state.try_update(|s| s.toggle_block(&name)) {
                    socket.send(&frame);
                }
            };
            view! {
                <button
                    class="quiet small"
                    data-testid="block"
                    aria-pressed=blocked.to_string()
                    title="Their private messages no longer reach you; their room messages are collapsed"
                    on:click=toggle
                >
                    {if blocked { "Unblock" } else { "Block" }}
                </button>
            }
        })
    }
}

/// One message or system line. Bodies are formatted (markdown, links) as DOM nodes: HTML in
/// them shows as typed. `shows_sender`: the first of a group of someone else's messages, with the sender's
/// avatar and name; every message has its time at the end of its bubble.
#[component]
fn RowView(row: Row, shows_sender: bool) -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let socket = expect_context::<Socket>();
    match row {
        Row::System { text, at, .. } => view! {
            <li class="system" data-testid="system-line">
                <span>{text}</span>
                " "
                <time title=browser::local_date_time(at)>{browser::local_time(at)}</time>
            </li>
        }
        .into_any(),
        Row::Message {
            seq,
            from,
            body,
            at,
            own,
            mentions_me,
            status,
            reason,
            id,
            details,
            blocked,
            ..
        } => {
            let retry = move |_| {
                let key = state.with_untracked(|s| s.active().clone());
                if let Some(Some(frame)) =
                    state.try_update(|s| s.retry(&key, seq, browser::now_ms()))
                {
                    if !socket.send(&frame) {
                        state.update(|s| s.send_failed(&frame));
                    }
                }
            };
            let mention_key = mentions_me.then(|| state.with_untracked(ChatState::me_key));
            let room = own && state.with_untracked(|s| matches!(s.active(), ConvKey::Room(_)));
            let mut time = browser::local_time(at);
            let mut full_time = browser::local_date_time(at);
            // A tombstone says so, in italics (`deleted`), and has no actions or reactions.
            let deleted = details.deleted;
            let body = if deleted {
                "message deleted".to_owned()
            } else {
                body
            };
            // An edited message says so beside its time, and when in the time's title.
            if let Some(edited) = details.edited_at.filter(|_| !deleted) {
                time.insert_str(0, "(edited) ");
                full_time.push_str(" · edited ");
                full_time.push_str(&browser::local_date_time(edited));
            }
            let (me, may_delete) = state.with_untracked(|s| (s.me().to_owned(), s.may_delete(own)));
            // The row's classes in one attribute (one string is less code than a toggle each).
            let mut classes = String::from("msg");
            for (class, on) in [
                (" deleted", deleted),
                (" deletable", may_delete),
                (" own", own),
                (" mention", mentions_me),
                (" group-start", shows_sender),
                (
                    " pending",
                    matches!(status, Status::Pending | Status::Waiting),
                ),
                (" failed", status == Status::Failed),
            ] {
                if on {
                    classes.push_str(class);
                }
            }
            view! {
                <li
                    id=id.map(|id| format!("msg-{id}"))
                    tabindex="-1"
                    class=classes
                    data-mention=mentions_me.then_some("me")
                    data-testid="message"
                    data-status=status.as_str()
                >
                    {shows_sender
                        .then(|| {
                            view! {
                                <div class="meta">
                                    <Avatar name=from.clone() />
                                    <span class="sender" data-testid="message-sender">{from.clone()}</span>
                                </div>
                            }
                        })}
                    {reply_quote(details.reply.as_ref().filter(|_| !deleted))}
                    {
                        let bubble = view! {
                            <div class="bubble">
                                <Formatted body=body mention_key=mention_key />
                                {(!details.attachments.is_empty()).then(|| super::files::files(&details.attachments))}
                                <time class="mini" title=full_time>{time}</time>
                            </div>
                        };
                        // From someone we block: folded away, one click (or Enter) to show.
                        if blocked {
                            view! {
                                <details class="blocked" data-testid="blocked-message">
                                    <summary>"Message from a blocked user — show"</summary>
                                    {bubble}
                                </details>
                            }
                            .into_any()
                        } else {
                            bubble.into_any()
                        }
                    }
                    {reactions(&details.reactions, &me)}
                    {message_actions::actions()}
                    {match status {
                        Status::Confirmed => ().into_any(),
                        Status::Pending | Status::Waiting => view! {
                            <span class="delivery" data-testid="pending">
                                <span class="clock" aria-hidden="true">"◷"</span>
                                " "
                                {status.label()}
                            </span>
                        }
                        .into_any(),
                        Status::Failed => view! {
                            <span class="delivery failed" data-testid="failed">
                                "Not sent: " {reason} " "
                                <button class="link" data-testid="retry" on:click=retry>"Retry"</button>
                            </span>
                        }
                        .into_any(),
                    }}
                    {own.then(|| view! { <SeenNote seq=seq room=room /> })}
                </li>
            }
            .into_any()
        }
    }
}
