//! A message body with its formatting: the markdown module's nodes as DOM elements, every bit
//! of text a text node (never HTML). Links open in a new tab without a handle on this page.

use leptos::prelude::*;

use crate::markdown::{self, Block, Inline};
use crate::mentions;

/// A message body. `dir="auto"` lays out right-to-left text (and its punctuation) right. A
/// body that is one paragraph (most are) is its text directly, without a `<p>` of its own.
/// `mention_key`: our name's key when the body mentions us, to emphasise those mentions.
#[component]
pub(super) fn Formatted(body: String, mention_key: Option<String>) -> impl IntoView {
    let content = contents(markdown::parse(&body), mention_key.as_deref());
    view! {
        <div class="body" dir="auto" data-testid="message-body">{content}</div>
    }
}

/// What a body or a list item holds: a single paragraph is its text directly.
fn contents(mut blocks: Vec<Block>, me: Option<&str>) -> Vec<AnyView> {
    match blocks.as_mut_slice() {
        [Block::Paragraph(inlines)] => inline_views(std::mem::take(inlines), me),
        _ => block_views(blocks, me),
    }
}

fn block_views(blocks: Vec<Block>, me: Option<&str>) -> Vec<AnyView> {
    blocks
        .into_iter()
        .map(|block| block_view(block, me))
        .collect()
}

fn block_view(block: Block, me: Option<&str>) -> AnyView {
    match block {
        Block::Paragraph(inlines) => view! { <p>{inline_views(inlines, me)}</p> }.into_any(),
        // Focusable, so that a code block wider than the bubble scrolls from the keyboard.
        Block::Code(text) => view! {
            <pre class="code-block" dir="ltr" tabindex="0" data-testid="code-block">
                <code>{text}</code>
            </pre>
        }
        .into_any(),
        Block::Quote(blocks) => {
            view! { <blockquote>{block_views(blocks, me)}</blockquote> }.into_any()
        }
        Block::Bullets(items) => view! { <ul>{item_views(items, me)}</ul> }.into_any(),
        Block::Numbered { start, items } => {
            // `start` only when it is not 1, as written by hand.
            let start = (start != 1).then_some(start);
            view! { <ol start=start>{item_views(items, me)}</ol> }.into_any()
        }
    }
}

fn item_views(items: Vec<Vec<Block>>, me: Option<&str>) -> Vec<AnyView> {
    items
        .into_iter()
        .map(|blocks| view! { <li>{contents(blocks, me)}</li> }.into_any())
        .collect()
}

fn inline_views(inlines: Vec<Inline>, me: Option<&str>) -> Vec<AnyView> {
    inlines
        .into_iter()
        .map(|inline| inline_view(inline, me))
        .collect()
}

/// Text, with our own mentions in it emphasised when `me` is our name's key.
fn text_view(text: String, me: Option<&str>) -> AnyView {
    let Some(me) = me else {
        return text.into_any();
    };
    mentions::marks(&text, me)
        .into_iter()
        .map(|(run, mine)| {
            if mine {
                view! { <mark class="mention-me" data-testid="mention-me">{run}</mark> }.into_any()
            } else {
                run.into_any()
            }
        })
        .collect::<Vec<_>>()
        .into_any()
}

fn inline_view(inline: Inline, me: Option<&str>) -> AnyView {
    match inline {
        Inline::Text(text) => text_view(text, me),
        Inline::Strong(inner) => view! { <strong>{inline_views(inner, me)}</strong> }.into_any(),
        Inline::Emphasis(inner) => view! { <em>{inline_views(inner, me)}</em> }.into_any(),
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
