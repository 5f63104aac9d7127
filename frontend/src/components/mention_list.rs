//! The `@name` completion's list under the message box: a listbox whose highlighted option
//! the box points at (`aria-activedescendant`); a press on an option chooses it without taking
//! the focus from the box. The logic is `state::mention_complete`.

use leptos::prelude::*;

use crate::state::mention_complete::Completion;

/// The listbox's id, which the message box names in `aria-controls`.
pub(super) const LIST_ID: &str = "mention-options";

/// The id of option `index`, for `aria-activedescendant`.
pub(super) fn option_id(index: usize) -> String {
    format!("mention-option-{index}")
}

#[component]
pub(super) fn MentionList(
    completion: RwSignal<Completion>,
    choose: Callback<usize>,
) -> impl IntoView {
    let options = Memo::new(move |_| completion.with(|c| c.options().to_vec()));
    let selected = Memo::new(move |_| completion.with(Completion::selected));
    view! {
        <Show when=move || options.with(|o| !o.is_empty())>
            <ul id=LIST_ID class="mention-options" role="listbox" aria-label="People to mention" data-testid="mention-options">
                {move || {
                    options
                        .get()
                        .into_iter()
                        .enumerate()
                        .map(|(index, name)| {
                            let chosen = move || selected.get() == index;
                            view! {
                                <li
                                    id=option_id(index)
                                    role="option"
                                    class="mention-option"
                                    class:selected=chosen
                                    aria-selected=move || chosen().to_string()
                                    data-testid="mention-option"
                                    on:mousedown=move |ev| {
                                        ev.prevent_default();
                                        choose.run(index);
                                    }
                                    on:mousemove=move |_| completion.update(|c| c.point(index))
                                >
                                    "@"
                                    {name}
                                </li>
                            }
                        })
                        .collect::<Vec<_>>()
                }}
            </ul>
        </Show>
    }
}
