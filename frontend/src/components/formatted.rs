//! A message body with its formatting: the markdown module's nodes as DOM elements, every bit
//! of text a text node (never HTML). Links open in a new tab without a handle on this page.

use leptos::prelude::*;

use crate::markdown::{self, Block, Inline};

/// A message body. `dir="auto"` lays out right-to-left text (and its punctuation) right. A
/// body that is one paragraph (most are) is its text directly, without a `<p>` of its own.
#[component]
pub(super) fn Formatted(body: String) -> impl IntoView {
    let content = contents(markdown::parse(&body));
    view! {
        <div class="body" dir="auto" data-testid="message-body">{content}</div>
    }
}

/// What a body or a list item holds: a single paragraph is its text directly.
fn contents(mut blocks: Vec<Block>) -> Vec<AnyView> {
    match blocks.as_mut_slice() {
        [Block::Paragraph(inlines)] => inline_views(std::mem::take(inlines)),
        _ => block_views(blocks),
    }
}

fn block_views(blocks: Vec<Block>) -> Vec<AnyView> {
    blocks.into_iter().map(block_view).collect()
}

fn block_view(block: Block) -> AnyView {
    match block {
        Block::Paragraph(inlines) => view! { <p>{inline_views(inlines)}</p> }.into_any(),
        // Focusable, so that a code block wider than the bubble scrolls from the keyboard.
        Block::Code(text) => view! {
            <pre class="code-block" dir="ltr" tabindex="0" data-testid="code-block">
                <code>{text}</code>
            </pre>
        }
        .into_any(),
        Block::Quote(blocks) => view! { <blockquote>{block_views(blocks)}</blockquote> }.into_any(),
        Block::Bullets(items) => view! { <ul>{item_views(items)}</ul> }.into_any(),
        Block::Numbered { start, items } => {
            // `start` only when it is not 1, as written by hand.
            let start = (start != 1).then_some(start);
            view! { <ol start=start>{item_views(items)}</ol> }.into_any()
        }
    }
}

fn item_views(items: Vec<Vec<Block>>) -> Vec<AnyView> {
    items
        .into_iter()
        .map(|blocks| view! { <li>{contents(blocks)}</li> }.into_any())
        .collect()
}

fn inline_views(inlines: Vec<Inline>) -> Vec<AnyView> {
    inlines.into_iter().map(inline_view).collect()
}

fn inline_view(inline: Inline) -> AnyView {
    match inline {
        Inline::Text(text) => text.into_any(),
        Inline::Strong(inner) => view! { <strong>{inline_views(inner)}</strong> }.into_any(),
        Inline::Emphasis(inner) => view! { <em>{inline_views(inner)}</em> }.into_any(),
        Inline::Code(text) => view! { <code class="code-span">{text}</code> }.into_any(),
        Inline::Link(url) => {
            let href = url.clone();
            view! {
                <a href=href rel="noopener noreferrer" target="_blank" data-testid="message-link">
                    {url}
                </a>
            }
            .into_any()
        }
    }
}
