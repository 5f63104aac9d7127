//! The block pass: a body's lines into paragraphs, fenced code blocks, quotes and lists.
//! Quotes and list items hold lines of their own (markers and indentation taken off), parsed
//! again one level deeper, up to the depth limit.

use super::{inline, Block, MAX_BLOCK_DEPTH};
use crate::steps::step;

/// Parses `lines` (the body's, or a quote's or list item's) at nesting `depth`.
pub(super) fn parse(lines: &[&str], depth: usize) -> Vec<Block> {
    let fences = Fences::new(lines);
    let nests = depth < MAX_BLOCK_DEPTH;
    let mut blocks = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        step();
        let line = lines[at];
        if is_blank(line) {
            at += 1;
            continue;
        }
        if let Some(fence) = open_fence(line) {
            if let Some(end) = fences.closing(lines, at + 1, fence.ticks) {
                let code: Vec<&str> = lines[at + 1..end]
                    .iter()
                    .map(|l| strip_spaces(l, fence.indent))
                    .collect();
                blocks.push(Block::Code(code.join("\n")));
                at = end + 1;
                continue;
            }
        }
        if nests && quoted(line).is_some() {
            let mut inner = Vec::new();
            while let Some(content) = lines.get(at).and_then(|l| quoted(l)) {
                step();
                inner.push(content);
                at += 1;
            }
            blocks.push(Block::Quote(parse(&inner, depth + 1)));
            continue;
        }
        if let Some(item) = nests.then(|| list_item(line)).flatten() {
            let (list, next) = list(lines, at, item, depth);
            blocks.push(list);
            at = next;
            continue;
        }
        // A paragraph: this line (whatever it looked like) and the ordinary lines after it.
        let start = at;
        at += 1;
        while at < lines.len() && !is_blank(lines[at]) && !interrupts(lines[at], at, &fences, nests)
        {
            step();
            at += 1;
        }
        blocks.push(Block::Paragraph(inline::parse(
            &lines[start..at].join("\n"),
        )));
    }
    blocks
}

/// Whether `line` (at index `at`) starts a block that ends the paragraph above it: a fence
/// that is closed, a quote, a bulleted item, or a numbered item that starts at 1 (so that
/// "in\n1984. we" stays a paragraph).
fn interrupts(line: &str, at: usize, fences: &Fences, nests: bool) -> bool {
    if open_fence(line).is_some_and(|f| fences.closed_after(at + 1, f.ticks)) {
        return true;
    }
    nests
        && (quoted(line).is_some()
            || list_item(line).is_some_and(|item| match item.kind {
                Kind::Bullet(_) => true,
                Kind::Numbered(_) => item.number == 1,
            }))
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// `line` without up to `n` leading spaces.
fn strip_spaces(line: &str, n: usize) -> &str {
    let spaces = line.bytes().take(n).take_while(|&b| b == b' ').count();
    &line[spaces..]
}

/// Whether `line` starts with at least `n` spaces.
fn indented(line: &str, n: usize) -> bool {
    line.as_bytes()
        .get(..n)
        .is_some_and(|head| head.iter().all(|&b| b == b' '))
}

/// The up to three spaces a block marker may stand after.
fn marker_indent(line: &str) -> usize {
    line.bytes().take(4).take_while(|&b| b == b' ').count()
}

/// The opening line of a fenced code block: where its backticks start and how many.
struct Fence {
    indent: usize,
    ticks: usize,
}

/// Backticks (three or more) after up to three spaces, then anything without a backtick (a
/// language name, which is not used).
fn open_fence(line: &str) -> Option<Fence> {
    let indent = marker_indent(line);
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let ticks = rest.bytes().take_while(|&b| b == b'`').count();
    (ticks >= 3 && !rest[ticks..].contains('`')).then_some(Fence { indent, ticks })
}

/// A line of only backticks (three or more, after up to three spaces): the number of them.
fn bare_fence(line: &str) -> Option<usize> {
    open_fence(line)
        .filter(|f| line[f.indent + f.ticks..].trim().is_empty())
        .map(|f| f.ticks)
}

/// Where fences can close, built once per parse so that an unclosed fence costs nothing:
/// `most[i]` is the longest bare fence at line `i` or after it.
struct Fences {
    most: Vec<usize>,
}

impl Fences {
    fn new(lines: &[&str]) -> Self {
        let mut most = vec![0; lines.len() + 1];
        for (i, line) in lines.iter().enumerate().rev() {
            step();
            most[i] = most[i + 1].max(bare_fence(line).unwrap_or(0));
        }
        Self { most }
    }

    /// Whether a fence of `ticks` backticks is closed at line `from` or after.
    fn closed_after(&self, from: usize, ticks: usize) -> bool {
        self.most.get(from).is_some_and(|&most| most >= ticks)
    }

    /// The line that closes a fence of `ticks` backticks opened just before `from`. Only
    /// searched when it exists, and the lines searched become the code block.
    fn closing(&self, lines: &[&str], from: usize, ticks: usize) -> Option<usize> {
        if !self.closed_after(from, ticks) {
            return None;
        }
        (from..lines.len()).find(|&i| {
            step();
            bare_fence(lines[i]).is_some_and(|t| t >= ticks)
        })
    }
}

/// A quote line's content: after `>` (and one space, if there is one).
fn quoted(line: &str) -> Option<&str> {
    let indent = marker_indent(line);
    let rest = line[indent..].strip_prefix('>')?;
    (indent <= 3).then(|| rest.strip_prefix(' ').unwrap_or(rest))
}

/// Which kind of list an item belongs to: items of one list share it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `-`, `*` or `+`.
    Bullet(u8),
    /// `.` or `)` after the number.
    Numbered(u8),
}

/// The first line of a list item.
struct Item<'a> {
    kind: Kind,
    /// The number of a numbered item.
    number: u32,
    /// The item's text on this line.
    content: &'a str,
    /// How far its text is indented: lines of the item below it are indented as far.
    width: usize,
}

/// `- text`, `* text`, `+ text`, `1. text` or `1) text` (up to nine digits), after up to
/// three spaces, with text after the marker.
fn list_item(line: &str) -> Option<Item<'_>> {
    let indent = marker_indent(line);
    if indent > 3 {
        return None;
    }
    let bytes = line.as_bytes();
    let (kind, number, marker_end) = match bytes.get(indent)? {
        &b @ (b'-' | b'*' | b'+') => (Kind::Bullet(b), 0, indent + 1),
        b'0'..=b'9' => {
            let digits = bytes[indent..]
                .iter()
                .take(10)
                .take_while(|b| b.is_ascii_digit())
                .count();
            let delimiter = *bytes.get(indent + digits)?;
            if digits > 9 || !matches!(delimiter, b'.' | b')') {
                return None;
            }
            let number = line[indent..indent + digits].parse().ok()?;
            (Kind::Numbered(delimiter), number, indent + digits + 1)
        }
        _ => return None,
    };
    let spaces = bytes[marker_end..]
        .iter()
        .take(5)
        .take_while(|&&b| b == b' ')
        .count();
    if spaces == 0 || is_blank(&line[marker_end..]) {
        return None;
    }
    // More than four spaces: the item's text starts after one, the rest is its own.
    let width = marker_end + if spaces > 4 { 1 } else { spaces };
    Some(Item {
        kind,
        number,
        content: &line[width..],
        width,
    })
}

/// The list that starts with `first` at line `at`: its items, each with the lines indented
/// under it (a blank line inside an item only when an indented line follows), while the next
/// item is of the same kind. Returns the list and the line after it.
fn list(lines: &[&str], mut at: usize, first: Item<'_>, depth: usize) -> (Block, usize) {
    let (kind, start) = (first.kind, first.number);
    let mut items = Vec::new();
    let mut item = first;
    loop {
        let mut content = vec![item.content];
        at += 1;
        while let Some(&line) = lines.get(at) {
            step();
            if is_blank(line) {
                let continues = lines
                    .get(at + 1)
                    .is_some_and(|next| !is_blank(next) && indented(next, item.width));
                if !continues {
                    break;
                }
                content.push("");
            } else if indented(line, item.width) {
                content.push(&line[item.width..]);
            } else {
                break;
            }
            at += 1;
        }
        items.push(parse(&content, depth + 1));
        match lines.get(at).and_then(|l| list_item(l)) {
            Some(next) if next.kind == kind => item = next,
            _ => break,
        }
    }
    let list = match kind {
        Kind::Bullet(_) => Block::Bullets(items),
        Kind::Numbered(_) => Block::Numbered { start, items },
    };
    (list, at)
}
