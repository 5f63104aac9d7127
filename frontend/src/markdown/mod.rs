//! Message formatting: a small, safe markdown subset, parsed into nodes that the view turns
//! into DOM elements and text nodes (never HTML: `<script>` in a body is the text
//! `<script>`).
//!
//! What is recognised:
//! - blocks (`blocks.rs`): paragraphs (blank lines between them; a single line break stays a
//!   line break), fenced code blocks (three or more backticks, closed by a line of at least
//!   as many), block quotes (`> `), bulleted lists (`- `, `* `, `+ `) and numbered lists
//!   (`1. `, `1) `); list items and quotes hold blocks of their own (a nested list is
//!   indented under its item);
//! - inline (`inline.rs`): `**bold**` (or `__bold__`), `*italic*` (or `_italic_`, not inside
//!   a word: `snake_case` stays as typed), `` `code` `` (any number of backticks, closed by as
//!   many), and `http`/`https` addresses, which become links (the links module finds them).
//!   A backslash before `*` or `_` keeps it as typed.
//!
//! Whatever is not closed stays as typed: `**half` is the text `**half`, a fence without its
//! closing line is text. Nothing else is markup: headings, HTML, images, `[text](url)` links
//! are all text, and no scheme but `http`/`https` ever becomes a link.
//!
//! Linear time on any input, with bounded nesting: each line is looked at a bounded number of
//! times per nesting level, and nesting stops at [`MAX_BLOCK_DEPTH`] (deeper quotes and lists
//! are text) and [`MAX_INLINE_DEPTH`] (deeper emphasis keeps its markers as text), so neither
//! parsing nor rendering nor dropping the nodes recurses deeply. Closing fences and backtick
//! runs are found through tables built once, and the emphasis stack never searches the same
//! openers twice (CommonMark's "openers bottom"). The tests count the work (`steps`).

mod blocks;
mod inline;
#[cfg(test)]
mod tests;

/// How deeply quotes and lists nest; markers deeper than this are text.
pub const MAX_BLOCK_DEPTH: usize = 6;

/// How deeply bold and italic nest; deeper pairs of markers are shown as typed.
pub const MAX_INLINE_DEPTH: usize = 8;

/// A block of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Lines of text; the line breaks inside are `\n` in the text.
    Paragraph(Vec<Inline>),
    /// A fenced code block's lines, shown as typed.
    Code(String),
    /// A block quote (`> `).
    Quote(Vec<Block>),
    /// A bulleted list: each item is blocks.
    Bullets(Vec<Vec<Block>>),
    /// A numbered list from `start`: each item is blocks.
    Numbered { start: u32, items: Vec<Vec<Block>> },
}

/// A run of text inside a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    /// Shown as typed.
    Text(String),
    /// `**bold**`.
    Strong(Vec<Inline>),
    /// `*italic*`.
    Emphasis(Vec<Inline>),
    /// `` `code` ``, shown as typed.
    Code(String),
    /// An `http://` or `https://` address, shown as a link to itself.
    Link(String),
}

/// Parses a message body into blocks.
pub fn parse(body: &str) -> Vec<Block> {
    let lines: Vec<&str> = body
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect();
    blocks::parse(&lines, 0)
}

/// Parses one paragraph's text into inline nodes.
pub fn parse_inline(text: &str) -> Vec<Inline> {
    inline::parse(text)
}

/// The text of a body as a person reads it, without the markers: for previews and quotes.
/// Blocks are separated by line breaks.
pub fn plain_text(body: &str) -> String {
    let mut out = String::new();
    for block in parse(body) {
        push_block_text(&mut out, &block);
    }
    out.truncate(out.trim_end().len());
    out
}

fn push_block_text(out: &mut String, block: &Block) {
    match block {
        Block::Paragraph(inlines) => push_inline_text(out, inlines),
        Block::Code(text) => out.push_str(text),
        Block::Quote(blocks) => blocks.iter().for_each(|b| push_block_text(out, b)),
        Block::Bullets(items) | Block::Numbered { items, .. } => {
            items.iter().flatten().for_each(|b| push_block_text(out, b))
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

fn push_inline_text(out: &mut String, inlines: &[Inline]) {
    for inline in inlines {
        match inline {
            Inline::Text(text) | Inline::Code(text) | Inline::Link(text) => out.push_str(text),
            Inline::Strong(inner) | Inline::Emphasis(inner) => push_inline_text(out, inner),
        }
    }
}
