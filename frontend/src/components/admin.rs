//! The administrators' panel, drawn in the account dialog for an administrator (the session's
//! `admin`): the server's figures with a refresh, and an account disabled or enabled by name
//! after a confirmation. Its state and words are [`crate::admin`]'s; this sends the requests.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::focus::focus_first;
use crate::admin::{Action, AdminPanel};
use crate::api;

#[component]
pub fn AdminControls(token: String) -> impl IntoView {
    let panel = RwSignal::new(AdminPanel::default());
    let token = StoredValue::new(token);
    let name = RwSignal::new(String::new());
    let refresh = move || {
        if panel.try_update(AdminPanel::refresh) == Some(true) {
            spawn_local(async move {
                let answer = api::admin_figures(&token.get_value()).await;
                panel.try_update(|p| p.figures_read(answer));
            });
        }
    };
    refresh();
    let ask = move |action| {
        panel.update(|p| p.ask(action, &name.get_untracked()));
        if panel.with_untracked(|p| p.confirming.is_some()) {
            focus_first("[data-testid=admin-confirm]");
        }
    };
    let confirm = move |_| {
        let Some(Some((action, who))) = panel.try_update(AdminPanel::confirm) else {
            return;
        };
        focus_first("#admin-account");
        spawn_local(async move {
            let answer =
                api::set_disabled(&token.get_value(), &who, action == Action::Disable).await;
            let done = answer.is_ok();
            panel.try_update(|p| p.done(action, &who, answer));
            if done {
                refresh();
            }
        });
    };
    let cancel = move |_| {
        panel.update(AdminPanel::cancel);
        focus_first("#admin-account");
    };
    let outcome = move |ok: bool| {
        panel.with(|p| match &p.outcome {
            Some(Ok(text)) if ok => text.clone(),
            Some(Err(text)) if !ok => text.clone(),
            _ => String::new(),
        })
    };

    view! {
        <section class="admin" aria-labelledby="admin-figures-title" data-testid="admin-panel">
            <h3 id="admin-figures-title">"Server figures"</h3>
            <dl class="figures" data-testid="admin-figures">
                {move || {
                    panel
                        .with(|p| {
                            p.figures
                                .iter()
                                .map(|(label, n)| view! { <dt>{label.clone()}</dt><dd>{*n}</dd> })
                                .collect_view()
                        })
                }}
            </dl>
            <p class="problem" role="alert" data-testid="admin-figures-error">
                {move || panel.with(|p| p.figures_problem.clone())}
            </p>
            <button class="quiet" data-testid="admin-refresh" on:click=move |_| refresh()>
                {move || if panel.with(|p| p.loading) { "Refreshing…" } else { "Refresh" }}
            </button>
        </section>
        <section class="admin" aria-labelledby="admin-account-title">
            <h3 id="admin-account-title">"Disable or enable an account"</h3>
            <label for="admin-account">"Account name"</label>
            <input
                id="admin-account"
                data-testid="admin-account"
                type="text"
                autocomplete="off"
                autocapitalize="off"
                spellcheck="false"
                aria-describedby="admin-error"
                prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            <div class="dialog-actions">
                <button class="danger" data-testid="admin-disable" on:click=move |_| ask(Action::Disable)>
                    "Disable…"
                </button>
                <button data-testid="admin-enable" on:click=move |_| ask(Action::Enable)>
                    "Enable…"
                </button>
            </div>
            <Show when=move || panel.with(|p| p.confirming.is_some())>
                <p class="warning" id="admin-question" data-testid="admin-question">
                    {move || panel.with(AdminPanel::question)}
                </p>
                <div class="dialog-actions">
                    <button
                        class="danger"
                        data-testid="admin-confirm"
                        aria-describedby="admin-question"
                        on:click=confirm
                    >
                        {move || panel.with(AdminPanel::confirm_label)}
                    </button>
                    <button class="quiet" data-testid="admin-cancel" on:click=cancel>
                        "Cancel"
                    </button>
                </div>
            </Show>
            <p class="info" role="status" data-testid="admin-done">{move || outcome(true)}</p>
            <p class="problem" id="admin-error" role="alert" data-testid="admin-error">
                {move || outcome(false)}
            </p>
        </section>
    }
}
