//! The room browser, opened from the sidebar's "Browse rooms": a modal `<dialog>` (the browser
//! keeps focus in it, Escape closes it) that searches the public rooms, pages through them
//! ("More"), and joins one (or opens it when we are in it). Its rules are
//! [`crate::state::directory`]'s. Its list, and the sidebar's invitations and "Everyone
//! online", are drawn by hand ([`draw_rooms`]), smaller in the wasm than lists of views; its
//! effect draws the sidebar's people lists too ([`draw_people`]).

use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::message_actions::send_with;
use super::sidebar::{draw_people, enter_room, focus_composer, notify, People};
use crate::connection::Socket;
use crate::state::directory::Listed;
use crate::state::{ChatState, Person};
use shared::Invite;

/// The browser's `<dialog>`, always in the page (closed, it is not shown).
fn dialog() -> Option<web_sys::HtmlDialogElement> {
    document()
        .get_element_by_id("room-browser")?
        .dyn_into()
        .ok()
}

/// Opens the room browser: `asked`, the query whose first page the composer's `/rooms`
/// asked for (put in the search box); else (the sidebar's button, the search) the first
/// page of what the search box holds is asked for.
pub(super) fn open_browser(asked: Option<&str>) {
    let input = document()
        .get_element_by_id("browse-query")
        .and_then(|el| el.dyn_into::<web_sys::HtmlInputElement>().ok());
    match asked {
        Some(query) => input.map_or((), |input| input.set_value(query)),
        None => {
            let query = input.map(|input| input.value()).unwrap_or_default();
            let state = expect_context::<RwSignal<ChatState>>();
            send_with(state, expect_context::<Socket>(), |s| s.browse(&query));
        }
    }
    if let Some(dialog) = dialog() {
        let _ = dialog.show_modal();
    }
}

/// One room (or person) in a hand-drawn list: its `data-testid`, its text, and its buttons
/// (what each says, which is also its `data-act`).
pub(super) struct Item<'a> {
    pub testid: String,
    /// What the buttons act on: a room's name, or a person's.
    pub room: &'a str,
    /// Written before `room` in the buttons' names: `#` for a room.
    pub mark: &'a str,
    pub head: String,
    pub text: String,
    pub acts: &'a [&'a str],
}

/// Fills `ul` with `items`, text as text: `<li><div><strong>head</strong><p>text</p></div>`
/// then a button per act, labelled "Join #room" (or "Message bob") and so on, with
/// `data-act` and `data-room` (an item without a room: a button named by its text alone,
/// such as "More").
pub(super) fn draw_rooms(ul: &web_sys::Element, items: Vec<Item<'_>>) -> Option<()> {
    let doc = document();
    ul.set_text_content(None);
    let element = |tag: &str, text: &str| -> Option<web_sys::Element> {
        let el = doc.create_element(tag).ok()?;
        el.set_text_content(Some(text));
        Some(el)
    };
    for item in items {
        let li = element("li", "")?;
        li.set_attribute("data-testid", &item.testid).ok()?;
        let about = element("div", "")?;
        for (tag, text) in [("strong", &item.head), ("p", &item.text)] {
            let part = element(tag, text)?;
            about.append_child(&part).ok()?;
        }
        li.append_child(&about).ok()?;
        for act in item.acts {
            let button = element("button", act)?;
            for (name, value) in [
                ("class", "small"),
                ("data-act", act),
                ("data-room", item.room),
                ("aria-label", &[act, " ", item.mark, item.room].concat()),
            ] {
                // Without a room ("More"), the button's text is its name.
                if !item.room.is_empty() || name == "class" || name == "data-act" {
                    button.set_attribute(name, value).ok()?;
                }
            }
            li.append_child(&button).ok()?;
        }
        ul.append_child(&li).ok()?;
    }
    Some(())
}

/// The button of a hand-drawn list a click came from: its act and room (empty for a button
/// without one, such as "More").
pub(super) fn clicked(ev: &leptos::ev::MouseEvent) -> Option<(String, String)> {
    let button = ev
        .target()?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest("[data-act]")
        .ok()??;
    Some((
        button.get_attribute("data-act")?,
        button.get_attribute("data-room").unwrap_or_default(),
    ))
}

/// A "More" button as the last item of a hand-drawn list, when `more`.
fn more_item(testid: &str, more: bool) -> Option<Item<'static>> {
    more.then(|| Item {
        testid: testid.into(),
        room: "",
        mark: "",
        head: String::new(),
        text: String::new(),
        acts: &["More"],
    })
}

/// What [`draw`] shows: the browser's rooms, whether it has more, our invitations, the
/// browser's status line; "Everyone online", whether it has more, and its status line; the
/// sidebar's people lists.
type Shown = (
    Vec<Listed>,
    bool,
    Vec<Invite>,
    &'static str,
    (Vec<Person>, bool, &'static str),
    People,
);

/// Draws the browser's list into `ul`, the invitations into the sidebar's list (hidden when
/// there is none), "Everyone online" into its list, and the sidebar's people lists.
fn draw(
    ul: Option<&web_sys::HtmlUListElement>,
    (rooms, more, invites, status, (people, more_people, people_status), lists): &Shown,
) -> Option<()> {
    draw_people(lists)?;
    let doc = document();
    for (id, text) in [
        ("browse-status", status),
        ("everyone-status", people_status),
    ] {
        doc.get_element_by_id(id)?.set_text_content(Some(text));
    }
    let people = people
        .iter()
        .map(|p| Item {
            testid: format!("everyone-{}", p.name.to_ascii_lowercase()),
            room: &p.name,
            mark: "",
            head: p.name.clone(),
            text: match (p.is_me, p.away) {
                (true, _) => "you".into(),
                (_, true) => "away".into(),
                _ => String::new(),
            },
            acts: if p.is_me { &[] } else { &["Message"] },
        })
        .chain(more_item("everyone-more", *more_people))
        .collect();
    draw_rooms(&doc.get_element_by_id("everyone-list")?, people)?;
    let invited = invites
        .iter()
        .map(|i| Item {
            testid: format!("invite-{}", i.room),
            room: &i.room,
            mark: "#",
            head: format!("#{} from {}", i.room, i.from),
            text: about(&i.title, &i.topic),
            acts: &["Join", "Dismiss"],
        })
        .collect();
    let section = doc.get_element_by_id("invitations")?;
    section
        .toggle_attribute_with_force("hidden", invites.is_empty())
        .ok()?;
    draw_rooms(&section.query_selector("ul").ok()??, invited)?;
    let members = |n| match n {
        1 => " · 1 member".to_owned(),
        n => format!(" · {n} members"),
    };
    let items = rooms
        .iter()
        .map(|l| {
            let r = &l.room;
            Item {
                testid: format!("browse-{}", r.room),
                room: &r.room,
                mark: "#",
                head: format!("#{}{}", r.room, members(r.member_count)),
                text: about(&r.title, &r.topic),
                acts: if l.joined { &["Open"] } else { &["Join"] },
            }
        })
        .chain(more_item("browse-more", *more))
        .collect();
    draw_rooms(ul?, items)
}

/// A room's title and topic, those it has, as one line.
fn about(title: &Option<String>, topic: &Option<String>) -> String {
    [title, topic]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" · ")
}

#[component]
pub fn RoomBrowser() -> impl IntoView {
    let state = expect_context::<RwSignal<ChatState>>();
    let socket = expect_context::<Socket>();
    let list = NodeRef::<html::Ul>::new();
    // The browser's list and the sidebar's invitations, people lists and "Everyone online",
    // drawn again when they change (one effect for all: smaller in the wasm).
    Effect::new(move |drawn: Option<Shown>| {
        let shown = state.with(|s| {
            let dir = s.directory();
            let status = if dir.busy() {
                "Loading…"
            } else if dir.answered && dir.rooms.is_empty() {
                "No public room matches."
            } else {
                ""
            };
            let everyone = s.everyone();
            let people_status = if everyone.busy() {
                "Loading…"
            } else if everyone.answered() {
                "As listed when opened: open it again to refresh."
            } else {
                "Open it again to list who is online."
            };
            let people = (s.everyone_listed(), everyone.has_more(), people_status);
            let lists = (
                s.active_members(),
                s.people(),
                s.presence_known(),
                s.online_count(),
            );
            (
                s.listed(),
                dir.has_more(),
                s.invitations().to_vec(),
                status,
                people,
                lists,
            )
        });
        if drawn.as_ref() != Some(&shown) {
            draw(list.get_untracked().as_ref(), &shown);
        }
        shown
    });
    let on_click = move |ev| match clicked(&ev) {
        Some((act, _)) if act == "More" => send_with(state, socket, ChatState::browse_more),
        Some((_, room)) => match enter_room(&room) {
            Ok(()) => {
                if let Some(dialog) = dialog() {
                    dialog.close();
                }
            }
            Err(why) => notify(state, why),
        },
        None => {}
    };

    view! {
        <dialog
            id="room-browser"
            class="room-browser"
            aria-labelledby="browser-heading"
            data-testid="room-browser"
            on:close=move |_| focus_composer()
        >
            <h2 id="browser-heading">"Public rooms"</h2>
            <form role="search" on:submit=move |ev: SubmitEvent| {
                ev.prevent_default();
                open_browser(None);
            }>
                <label for="browse-query">"Search by name, title or topic"</label>
                <div class="inline">
                    <input
                        id="browse-query"
                        type="search"
                        data-testid="browse-query"
                        autocomplete="off"
                        autofocus
                    />
                    <button type="submit" data-testid="browse-search">"Search"</button>
                </div>
            </form>
            <ul
                class="browse-list"
                aria-label="Public rooms"
                data-testid="browse-list"
                node_ref=list
                on:click=on_click
            ></ul>
            <p id="browse-status" class="muted small" role="status" data-testid="browse-status"></p>
            <p class="muted small">
                "Create a room: type its name under Join, or /create name topic (/private: by invitation only) in the message box."
            </p>
            <form method="dialog">
                <button class="quiet" data-testid="browse-close">"Close"</button>
            </form>
        </dialog>
    }
}
