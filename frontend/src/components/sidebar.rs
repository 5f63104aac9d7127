//! The sidebar: invitations to rooms (join or dismiss), rooms (with unread counts, join and
//! leave, and the room browser's button), private conversations (online or not), the open
//! room's members, how many are online and who of the people we share a room or a
//! conversation with (click a person to talk privately, online or not: the server keeps the
//! message for them), and "Everyone online", listed when asked. Those lists are drawn by hand
//! by the room browser's effect (see [`super::room_browser`]). On narrow screens it is a
//! drawer.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::message_actions::send_with;
use super::room_browser::{clicked, open_browser};
use crate::connection::Socket;
use crate::state::notify::{Permission, Switch};
use crate::state::{count_label, ChatState, ConvKey, ConvSummary, Person};
use crate::{browser, notifier};

/// Whether the sidebar is open (it is a drawer on narrow screens). The chat page provides it
/// as context and toggles it with its menu button; choosing a conversation here closes it.
#[derive(Clone, Copy)]
pub struct SidebarOpen(pub RwSignal<bool>);

/// Moves keyboard focus to the message box, after the view has updated.
pub(super) fn focus_composer() {
    request_animation_frame(|| {
        if let Some(el) = document().get_element_by_id("composer-input") {
            if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el) {
                let _ = el.focus();
            }
        }
    });
}

/// Joins `room`, or opens it when we are in it (the join form, the room browser, an
/// invitation): the frame sent, the drawer closed, focus in the message box; else why not.
pub(super) fn enter_room(room: &str) -> Result<(), String> {
    let state = expect_context::<RwSignal<ChatState>>();
    let socket = expect_context::<Socket>();
    let SidebarOpen(open) = expect_context::<SidebarOpen>();
    if let Some(frame) = state.try_update(|s| s.join_request(room)).transpose()? {
        if let Some(frame) = frame {
            socket.send(&frame);
        }
        socket.send_due(state);
        open.set(false);
        focus_composer();
    }
    Ok(())
}

/// Says `why` in a notice (why a room was not joined from a list).
pub(super) fn notify(state: RwSignal<ChatState>, why: String) {
    state.update(|s| s.notify(why, browser::now_ms()));
}

#[component]
pub fn Sidebar() -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let socket = expect_context::<Socket>();
    let SidebarOpen(open) = expect_context::<SidebarOpen>();
    let rooms = Memo::new(move |_| state.with(ChatState::rooms));
    let directs = Memo::new(move |_| state.with(ChatState::directs));
    let talk_to = move |name: &str| {
        state.update(|s| s.open_direct(name));
        socket.send_due(state);
        open.set(false);
        focus_composer();
    };

    // "Everyone online" shown; each opening asks for a fresh first page.
    // Whether "Everyone online" is open (its `<details>` toggles on the click).
    let everyone = RwSignal::new(false);
    let toggle_everyone = move |_| {
        let opening = !everyone.get_untracked();
        if opening {
            send_with(state, socket, ChatState::everyone_request);
        }
        everyone.set(opening);
    };
    // A click in a people list or "Everyone online".
    let on_people = move |ev| match clicked(&ev) {
        Some((act, _)) if act == "More" => send_with(state, socket, ChatState::everyone_more),
        Some((_, name)) => talk_to(&name),
        None => {}
    };

    let room_name = RwSignal::new(String::new());
    let join_problem = RwSignal::new(None::<String>);
    let join = move |ev: SubmitEvent| {
        ev.prevent_default();
        match enter_room(&room_name.get_untracked()) {
            Ok(()) => room_name.set(String::new()),
            Err(problem) => join_problem.set(Some(problem)),
        }
    };

    view! {
        <nav id="sidebar" class="sidebar" class:open=move || open.get() aria-label="Conversations">
            <Invitations />
            <section class="side-section">
                <h2 id="rooms-heading">"Rooms"</h2>
                <ul class="conv-list" aria-labelledby="rooms-heading" data-testid="room-list">
                    <For
                        each=move || rooms.get()
                        key=|room| (room.key.clone(), room.unread, room.mentions, room.active, room.available, room.muted)
                        let:room
                    >
                        <ConvItem summary=room />
                    </For>
                </ul>
                <form class="join-form" on:submit=join>
                    <label for="join-room">"Join or create a room"</label>
                    <div class="inline">
                        <input
                            id="join-room"
                            data-testid="join-room"
                            placeholder="room name"
                            autocapitalize="off"
                            spellcheck="false"
                            maxlength="32"
                            aria-describedby="join-problem"
                            prop:value=move || room_name.get()
                            on:input=move |ev| {
                                room_name.set(event_target_value(&ev));
                                join_problem.set(None);
                            }
                        />
                        <button type="submit" data-testid="join-submit">"Join"</button>
                    </div>
                    <p id="join-problem" class="problem" role="alert">{move || join_problem.get()}</p>
                </form>
                <button class="quiet small" data-testid="browse-rooms" on:click=move |_| {
                    open.set(false);
                    open_browser(None);
                }>
                    "Browse rooms"
                </button>
            </section>
            <section class="side-section">
                <h2 id="directs-heading">"Private"</h2>
                <ul class="conv-list" aria-labelledby="directs-heading" data-testid="direct-list">
                    <For
                        each=move || directs.get()
                        key=|d| (d.key.clone(), d.title.clone(), d.unread, d.active, d.available, d.muted)
                        let:direct
                    >
                        <ConvItem summary=direct />
                    </For>
                </ul>
                // Shown by the stylesheet while the list is empty (smaller than a `<Show>`).
                <p class="muted small empty-hint">"Pick someone to talk privately."</p>
            </section>
            <section id="members" class="side-section" hidden>
                <h2 id="members-heading"></h2>
                <ul
                    id="member-list"
                    class="people"
                    aria-labelledby="members-heading"
                    data-testid="member-list"
                    on:click=on_people
                ></ul>
            </section>
            <section class="side-section">
                <h2 id="people-heading"></h2>
                <ul
                    id="online-list"
                    class="people"
                    aria-labelledby="people-heading"
                    data-testid="online-list"
                    on:click=on_people
                ></ul>
                <details class="everyone">
                    <summary data-testid="everyone-open" on:click=toggle_everyone>
                        "Everyone online"
                    </summary>
                    <ul
                        id="everyone-list"
                        class="browse-list"
                        aria-label="Everyone online"
                        data-testid="everyone-list"
                        on:click=on_people
                    ></ul>
                    <p id="everyone-status" class="muted small" role="status"></p>
                </details>
            </section>
            <NotifySwitch />
        </nav>
    }
}

/// Invitations to rooms, each with Join and Dismiss (this page only: the protocol has no
/// declining, and the server says them again after each reconnect until joined); the room
/// browser's effect draws them.
#[component]
fn Invitations() -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let on_click = move |ev| match clicked(&ev) {
        Some((act, room)) if act == "Join" => {
            if let Err(why) = enter_room(&room) {
                notify(state, why);
            }
        }
        Some((_, room)) => state.update(|s| s.dismiss_invitation(&room)),
        None => {}
    };
    view! {
        <section id="invitations" class="side-section invitations" data-testid="invitations" hidden>
            <h2 id="invites-heading">"Invitations"</h2>
            <ul aria-labelledby="invites-heading" on:click=on_click></ul>
        </section>
    }
}

/// The notifications switch: on, off, or blocked by the browser. The browser is asked for
/// permission only when it is clicked, never on load; once allowed, a click turns them off
/// or on again on this device.
#[component]
fn NotifySwitch() -> impl IntoView {
    let shown = RwSignal::new(Switch::of(
        notifier::permission(),
        browser::notifications_wanted(),
    ));
    let click = move |_| match notifier::permission() {
        Permission::Ask => leptos::task::spawn_local(async move {
            let permission = notifier::ask().await;
            if permission == Permission::Granted {
                browser::set_notifications_wanted(true);
            }
            shown.try_set(Switch::of(permission, browser::notifications_wanted()));
        }),
        Permission::Granted => {
            let on = !browser::notifications_wanted();
            browser::set_notifications_wanted(on);
            shown.set(Switch::of(Permission::Granted, on));
        }
        other => shown.set(Switch::of(other, browser::notifications_wanted())),
    };
    move || {
        shown.get().map(|switch| {
            let (icon, hint) = match switch {
                Switch::On => ("🔔 ", "Turn notifications off"),
                Switch::Off => ("🔕 ", "Turn notifications on"),
                Switch::Blocked => (
                    "🔕 ",
                    "The browser blocks notifications from this page: allow them in its settings",
                ),
            };
            view! {
                <section class="side-section">
                    <button
                        class="quiet small"
                        data-testid="notifications"
                        data-state=switch.as_str()
                        title=hint
                        on:click=click
                    >
                        <span aria-hidden="true">{icon}</span>
                        "Notifications: "
                        {switch.as_str()}
                    </button>
                </section>
            }
        })
    }
}

/// What the sidebar's people lists show: the open room's members, those online we have an
/// interest in, whether presence is known, and how many are online in all.
pub(super) type People = (Vec<Person>, Vec<Person>, bool, u64);

/// The sidebar's people lists drawn by hand (smaller in the wasm than lists of views): the
/// open room's members (their section hidden when there are none), those online we have an
/// interest in, and the online heading.
pub(super) fn draw_people((members, people, known, count): &People) -> Option<()> {
    let doc = document();
    let heading = if *known {
        format!("Online — {count}")
    } else {
        "Online: unknown while disconnected".to_owned()
    };
    doc.get_element_by_id("people-heading")?
        .set_text_content(Some(&heading));
    doc.get_element_by_id("members")?
        .toggle_attribute_with_force("hidden", members.is_empty())
        .ok()?;
    doc.get_element_by_id("members-heading")?
        .set_text_content(Some(&format!("Members ({})", members.len())));
    for (id, list, prefix) in [
        ("member-list", members, "member"),
        ("online-list", people, "user"),
    ] {
        let ul = doc.get_element_by_id(id)?;
        ul.set_attribute("data-presence", if *known { "known" } else { "unknown" })
            .ok()?;
        draw_persons(&ul, list, prefix, *known)?;
    }
    Some(())
}

/// Fills `ul` with `people`, text as text: each a button that opens a private conversation
/// with them (`{prefix}-{name}`, `data-act` and `data-room` for [`clicked`]), named with
/// whether they are away or offline; ourselves the name alone, and "(you)".
fn draw_persons(ul: &web_sys::Element, people: &[Person], prefix: &str, known: bool) -> Option<()> {
    let doc = document();
    ul.set_text_content(None);
    for Person {
        name,
        is_me,
        online,
        away,
    } in people
    {
        let li = doc.create_element("li").ok()?;
        let mut class = String::from("person");
        for (on, more) in [
            (*is_me, " me"),
            (!is_me && !online, " offline"),
            (*away, " away"),
        ] {
            if on {
                class.push_str(more);
            }
        }
        li.set_attribute("class", &class).ok()?;
        // While the connection is down nobody's presence is known: say so rather than
        // "offline".
        let status = if *away {
            " (away)"
        } else if *online {
            ""
        } else if known {
            " (offline)"
        } else {
            " (presence unknown)"
        };
        let holder = if *is_me {
            li.clone()
        } else {
            let button = doc.create_element("button").ok()?;
            for (attr, value) in [
                ("class", "person-button"),
                (
                    "data-testid",
                    &format!("{prefix}-{}", name.to_ascii_lowercase()),
                ),
                ("data-act", "talk"),
                ("data-room", name),
                ("aria-label", &format!("Talk privately with {name}{status}")),
            ] {
                button.set_attribute(attr, value).ok()?;
            }
            li.append_child(&button).ok()?;
            button
        };
        let dot = doc.create_element("span").ok()?;
        dot.set_attribute("class", "presence").ok()?;
        dot.set_attribute("aria-hidden", "true").ok()?;
        holder.append_child(&dot).ok()?;
        holder.append_with_str_1(name).ok()?;
        if *is_me {
            let you = doc.create_element("span").ok()?;
            you.set_attribute("class", "muted").ok()?;
            you.set_text_content(Some(if *away { " (you, away)" } else { " (you)" }));
            li.append_child(&you).ok()?;
        }
        ul.append_child(&li).ok()?;
    }
    Some(())
}

/// One conversation in a sidebar list: its button, unread badge, and leave/close button.
#[component]
fn ConvItem(summary: ConvSummary) -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let socket = expect_context::<Socket>();
    let SidebarOpen(open) = expect_context::<SidebarOpen>();
    let ConvSummary {
        key,
        title,
        unread,
        mentions,
        active,
        available,
        muted,
    } = summary;
    let (label, close_label) = match &key {
        ConvKey::Room(_) => (format!("#{title}"), format!("Leave #{title}")),
        ConvKey::Direct(_) => (
            title.clone(),
            format!("Close the conversation with {title}"),
        ),
    };
    let testid = key.dom_id();
    let close_testid = format!("close-{testid}");
    let closable = key != ConvKey::lobby();
    let select_key = key.clone();
    let close = move |_| match &key {
        ConvKey::Room(room) => {
            if let Some(Some(frame)) =
                state.try_update(|s| s.leave_request(room, browser::now_ms()))
            {
                socket.send(&frame);
            }
        }
        ConvKey::Direct(_) => state.update(|s| s.close_direct(&key)),
    };

    view! {
        <li class="conv-item" class:active=active class:unavailable=!available class:muted=muted>
            <button
                class="conv"
                data-testid=testid
                aria-current=active.then_some("true")
                on:click=move |_| {
                    state.update(|s| s.activate(&select_key));
                    socket.send_due(state);
                    open.set(false);
                    focus_composer();
                }
            >
                <span class="conv-name">{label}</span>
                {(mentions > 0)
                    .then(|| {
                        view! {
                            <span class="badge mention-badge" data-testid="mentions">
                                "@" {count_label(mentions)}
                                <span class="visually-hidden">
                                    {if mentions == 1 { " mention" } else { " mentions" }}
                                </span>
                            </span>
                        }
                    })}
                {(unread > 0)
                    .then(|| {
                        view! {
                            <span class="badge" data-testid="unread">
                                {count_label(unread)}
                                <span class="visually-hidden">
                                    {if muted { " unread, muted" } else { " unread" }}
                                </span>
                            </span>
                        }
                    })}
            </button>
            {closable
                .then(|| {
                    view! {
                        <button class="icon" title=close_label.clone() aria-label=close_label data-testid=close_testid on:click=close>
                            "×"
                        </button>
                    }
                })}
        </li>
    }
}
