//! The sign-in page: a name, an optional password, and a plain explanation when the server
//! says no (name taken, wrong password, invalid name).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{api, browser, Auth, Session};

#[component]
pub fn SignIn(notice: Option<String>) -> impl IntoView {
    let auth = expect_context::<RwSignal<Auth>>();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

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
                    problem.set(Some(api::sign_in_problem(&request.name, &failure)));
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
                    data-testid="signin-name"
                    name="name"
                    autocomplete="username"
                    autocapitalize="off"
                    spellcheck="false"
                    maxlength="24"
                    autofocus
                    aria-describedby="signin-problem"
                    aria-invalid=move || problem.with(|p| p.is_some()).to_string()
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
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
                    {move || problem.get()}
                </p>
                <button type="submit" class="primary" data-testid="signin-submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
        </main>
    }
}
