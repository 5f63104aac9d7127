//! The sign-in page: a name, an optional password, and a plain explanation when the server
//! says no (name taken or looking like a taken one, wrong password, invalid name). The name's
//! rules are shown before anything is typed, and checked as it is typed in
//! ([`crate::state::name_check`]): nothing is cut, a counter shows near the limit.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use shared::names::USER_NAME_RULES;

use crate::state::name_check::check_name;
use crate::{api, browser, reach, Auth, Session};

#[component]
pub fn SignIn(notice: Option<String>) -> impl IntoView {
    let auth = expect_context::<RwSignal<Auth>>();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let check = Memo::new(move |_| name.with(|n| check_name(n)));
    // The server's (or the submit's) problem, else what the name box's live check says.
    let shown_problem = move || problem.get().or_else(|| check.with(|c| c.problem.clone()));

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let request = match api::sign_in_request(&name.get_untracked(), &password.get_untracked()) {
            Ok(request) => request,
            Err(text) => {
                problem.set(Some(text));
                return;
            }
        };
        busy.set(true);
        problem.set(None);
        spawn_local(async move {
            match api::create_session(&request).await {
                Ok(answer) => match answer.token {
                    Some(token) => {
                        let session = Session {
                            name: answer.name,
                            token,
                        };
                        browser::save_session(&session);
                        auth.set(Auth::SignedIn(session));
                    }
                    None => {
                        problem.set(Some("The server did not hand out a session.".into()));
                        busy.set(false);
                    }
                },
                Err(failure) => {
                    problem.set(Some(if reach::backend_unreachable(&failure) {
                        reach::unreachable_text(&browser::page_origin(), &failure)
                    } else {
                        api::sign_in_problem(&request.name, &failure)
                    }));
                    busy.set(false);
                }
            }
        });
    };

    view! {
        <main class="signin">
            <form class="signin-card" on:submit=submit novalidate data-testid="signin-form">
                <h1>"Chat"</h1>
                <p class="hint">
                    "Pick a name to start; it stays yours. Add a password to sign in to it from "
                    "other devices, or enter it to sign in to a name that is yours."
                </p>
                {notice.map(|text| view! { <p class="info" role="status">{text}</p> })}
                <label for="signin-name">"Name"</label>
                <input
                    id="signin-name"
                    dir="auto"
                    data-testid="signin-name"
                    name="name"
                    autocomplete="username"
                    autocapitalize="off"
                    spellcheck="false"
                    autofocus
                    aria-describedby="signin-name-rules signin-name-counter signin-problem"
                    aria-invalid=move || shown_problem().is_some().to_string()
                    prop:value=move || name.get()
                    on:input=move |ev| {
                        problem.set(None);
                        name.set(event_target_value(&ev));
                    }
                />
                <div class="name-help">
                    <p id="signin-name-rules" class="rules" data-testid="signin-name-rules">
                        {USER_NAME_RULES}
                    </p>
                    <span
                        id="signin-name-counter"
                        class="counter"
                        class:over=move || check.with(|c| c.problem.is_some())
                        data-testid="signin-name-counter"
                    >
                        {move || check.with(|c| c.counter.clone())}
                    </span>
                </div>
                <label for="signin-password">
                    "Password " <span class="optional">"(optional)"</span>
                </label>
                <input
                    id="signin-password"
                    data-testid="signin-password"
                    type="password"
                    name="password"
                    autocomplete="current-password"
                    maxlength="128"
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                <p id="signin-problem" class="problem" role="alert" data-testid="signin-error">
                    {shown_problem}
                </p>
                <button type="submit" class="primary" data-testid="signin-submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
        </main>
    }
}
