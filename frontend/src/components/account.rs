//! The account controls in the top bar: "Add a password" (for a passwordless account),
//! "Admin" (for an administrator: [`super::admin`]'s panel), "Export" (downloads everything
//! the user wrote) and "Sign out", all but "Export" opening a dialog. Signing out asks first, and warns a passwordless
//! account that it cannot be signed in to again; the dialog offers the password form.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::admin::AdminControls;
use super::focus::focus_first;
use crate::{account, api, browser, Auth};

/// Which dialog is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialog {
    Closed,
    SignOut,
    AddPassword,
    Admin,
}

#[component]
pub fn AccountControls(name: String, token: String) -> impl IntoView {
    let auth = expect_context::<RwSignal<Auth>>();
    // Whether the account has a password: asked of the server once, then kept up to date.
    let has_password = RwSignal::new(None::<bool>);
    // Whether the user is an administrator, as the same answer says.
    let admin = RwSignal::new(false);
    {
        let token = token.clone();
        spawn_local(async move {
            if let Ok(answer) = api::check_session(&token).await {
                has_password.try_set(Some(answer.has_password));
                admin.try_set(answer.admin);
            }
        });
    }
    let dialog = RwSignal::new(Dialog::Closed);
    let open = move |which| {
        dialog.set(which);
        focus_first(
            "[data-testid=account-dialog] input:not([hidden]), [data-testid=account-dialog] button",
        );
    };
    // Back to the button that opened it.
    let close = move || {
        let from = match dialog.get_untracked() {
            Dialog::AddPassword => "[data-testid=add-password-open]",
            Dialog::Admin => "[data-testid=admin-open]",
            _ => "[data-testid=sign-out]",
        };
        dialog.set(Dialog::Closed);
        focus_first(from);
    };
    let name = StoredValue::new(name);
    let token = StoredValue::new(token);

    let sign_out = move |_| {
        let token = token.get_value();
        browser::clear_session();
        // What was typed but not sent stays on this device no longer than the session.
        browser::clear_drafts(&name.read_value());
        auth.set(Auth::SignedOut {
            notice: Some("You signed out.".into()),
        });
        spawn_local(async move {
            let _ = api::end_session(&token).await;
        });
    };
    // "Export": the server's one-use link to the archive, followed (the browser downloads it).
    let export_failed = RwSignal::new(false);
    let export = move |_| {
        let token = token.get_value();
        export_failed.set(false);
        spawn_local(async move {
            match api::request_export(&token).await {
                Ok(ticket) => browser::go_to(&ticket.url),
                Err(_) => {
                    export_failed.try_set(true);
                }
            }
        });
    };
    let warning = move || account::sign_out_warning(&name.read_value(), has_password.get());
    let password_form = move || {
        view! { <PasswordForm name=name.get_value() token=token.get_value() has_password /> }
    };

    view! {
        <Show when=move || has_password.get() == Some(false)>
            <button
                class="quiet add-password"
                data-testid="add-password-open"
                aria-haspopup="dialog"
                on:click=move |_| open(Dialog::AddPassword)
            >
                "Add a password"
            </button>
        </Show>
        <Show when=move || admin.get()>
            <button
                class="quiet"
                data-testid="admin-open"
                aria-haspopup="dialog"
                on:click=move |_| open(Dialog::Admin)
            >
                "Admin"
            </button>
        </Show>
        <button
            class="quiet"
            data-testid="export"
            title="Download everything you wrote, as a zip archive"
            on:click=export
        >
            "Export"
        </button>
        <Show when=move || export_failed.get()>
            <span class="warning" role="alert">"The export failed. Try again."</span>
        </Show>
        <button
            class="quiet"
            data-testid="sign-out"
            aria-haspopup="dialog"
            on:click=move |_| open(Dialog::SignOut)
        >
            "Sign out"
        </button>
        <Show when=move || dialog.get() != Dialog::Closed>
            <div class="dialog-backdrop" on:click=move |_| close()></div>
            <div
                class="dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby="account-dialog-title"
                data-testid="account-dialog"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" {
                        ev.stop_propagation();
                        close();
                    }
                }
            >
                {move || match dialog.get() {
                    Dialog::SignOut => {
                        let simple = warning().is_none();
                        view! {
                            <h2 id="account-dialog-title">"Sign out?"</h2>
                            {match warning() {
                                Some(text) => view! {
                                    <p class="warning" role="alert" data-testid="sign-out-warning">
                                        {text}
                                    </p>
                                    {password_form()}
                                }
                                .into_any(),
                                None => view! {
                                    <p data-testid="sign-out-note">
                                        {account::sign_out_note(&name.read_value())}
                                    </p>
                                }
                                .into_any(),
                            }}
                            <div class="dialog-actions">
                                <button
                                    class=if simple { "primary" } else { "danger" }
                                    data-testid="sign-out-confirm"
                                    on:click=sign_out
                                >
                                    {if simple { "Sign out" } else { "Sign out anyway" }}
                                </button>
                                <button class="quiet" data-testid="dialog-cancel" on:click=move |_| close()>
                                    "Cancel"
                                </button>
                            </div>
                        }
                        .into_any()
                    }
                    Dialog::AddPassword => view! {
                        <h2 id="account-dialog-title">"Add a password"</h2>
                        <p>
                            "With a password you can sign in to your name on another device, "
                            "or again after signing out."
                        </p>
                        {password_form()}
                        <div class="dialog-actions">
                            <button class="quiet" data-testid="dialog-cancel" on:click=move |_| close()>
                                "Close"
                            </button>
                        </div>
                    }
                    .into_any(),
                    Dialog::Admin => view! {
                        <h2 id="account-dialog-title">"Administration"</h2>
                        <AdminControls token=token.get_value() />
                        <div class="dialog-actions">
                            <button class="quiet" data-testid="dialog-cancel" on:click=move |_| close()>
                                "Close"
                            </button>
                        </div>
                    }
                    .into_any(),
                    Dialog::Closed => ().into_any(),
                }}
            </div>
        </Show>
    }
}

/// A new password, twice; on success the account has one and the form says so.
#[component]
fn PasswordForm(
    name: String,
    token: String,
    has_password: RwSignal<Option<bool>>,
) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let added = account::password_added(&name);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let request =
            match account::password_request(&password.get_untracked(), &repeat.get_untracked()) {
                Ok(request) => request,
                Err(text) => {
                    problem.set(Some(text));
                    return;
                }
            };
        busy.set(true);
        problem.set(None);
        let token = token.clone();
        spawn_local(async move {
            match api::set_password(&token, &request).await {
                Ok(()) => has_password.set(Some(true)),
                Err(failure) => problem.set(Some(account::password_problem(&failure))),
            }
            busy.set(false);
        });
    };
    view! {
        <Show
            when=move || has_password.get() != Some(true)
            fallback=move || view! {
                <p class="info" role="status" data-testid="password-added">{added.clone()}</p>
            }
        >
            <form class="password-form" on:submit=submit.clone() novalidate data-testid="password-form">
                <input type="text" name="username" autocomplete="username" value=name.clone() hidden />
                <label for="new-password">"New password (8 to 128 characters)"</label>
                <input
                    id="new-password"
                    data-testid="new-password"
                    type="password"
                    autocomplete="new-password"
                    maxlength="128"
                    aria-describedby="password-problem"
                    aria-invalid=move || problem.with(|p| p.is_some()).to_string()
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                <label for="new-password-repeat">"The same password again"</label>
                <input
                    id="new-password-repeat"
                    data-testid="new-password-repeat"
                    type="password"
                    autocomplete="new-password"
                    maxlength="128"
                    aria-describedby="password-problem"
                    prop:value=move || repeat.get()
                    on:input=move |ev| repeat.set(event_target_value(&ev))
                />
                <p id="password-problem" class="problem" role="alert" data-testid="password-error">
                    {move || problem.get()}
                </p>
                <button type="submit" class="primary" data-testid="password-submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Adding…" } else { "Add the password" }}
                </button>
            </form>
        </Show>
    }
}
