//! The inline pass: code spans, links, then bold and italic in one paragraph's text, in one
//! scan from left to right.
//!
//! Code spans and links are taken whole where they start (what is inside them is not
//! markup). `*` and `_` runs follow CommonMark's delimiter rules (simplified: no "rule of
//! three"): a run can open when it stands before a word, close when it stands after one, and
//! `_` only at a word's edge. A closing run matches the nearest opening run of the same
//! character; two markers on both sides make bold, one makes italic; openers between them are
//! text from then on.

use std::collections::HashMap;

use super::{Inline, MAX_INLINE_DEPTH};
use crate::links;
use crate::steps::step;

/// Parses a paragraph's text.
pub(super) fn parse(text: &str) -> Vec<Inline> {
    let mut parser = Parser {
        text,
        nodes: Vec::new(),
        openers: Vec::new(),
        bottom: [0; 2],
        text_from: 0,
    };
    parser.run();
    merged(parser.nodes)
}

/// A run of `*` or `_` that may still open bold or italic.
struct Opener {
    /// `*` or `_`.
    marker: u8,
    /// Its text node (the markers not used yet, and any shown as typed).
    node: usize,
    /// How many of its markers can still be used.
    count: usize,
    /// The deepest nesting of the nodes after its own, up to the next opener's: what it
    /// would wrap is known without looking at it.
    inner: usize,
}

struct Parser<'a> {
    text: &'a str,
    nodes: Vec<Inline>,
    /// Openers, oldest first.
    openers: Vec<Opener>,
    /// For `*` and `_`: below this index no opener has that marker, so a closer never
    /// searches those again (CommonMark's "openers bottom").
    bottom: [usize; 2],
    /// Where the text not yet in a node starts.
    text_from: usize,
}

impl Parser<'_> {
    fn run(&mut self) {
        let text = self.text;
        let bytes = text.as_bytes();
        let (runs, closers) = backtick_runs(text);
        let mut run = 0;
        let mut at = 0;
        while at < bytes.len() {
            step();
            match bytes[at] {
                b'`' => {
                    while runs[run].start < at {
                        run += 1;
                    }
                    match closers[run] {
                        Some(closer) => {
                            self.flush(at);
                            let code = &text[runs[run].end..runs[closer].start];
                            self.push(Inline::Code(code_text(code)), 0);
                            at = runs[closer].end;
                            run = closer + 1;
                            self.text_from = at;
                        }
                        None => {
                            at = runs[run].end;
                            run += 1;
                        }
                    }
                }
                b'*' | b'_' => {
                    let marker = bytes[at];
                    let mut end = at;
                    while bytes.get(end) == Some(&marker) {
                        step();
                        end += 1;
                    }
                    self.delimiters(at, end);
                    at = end;
                }
                b'\\' if matches!(bytes.get(at + 1), Some(b'*' | b'_')) => {
                    // The backslash goes; the marker after it is text.
                    self.flush(at);
                    self.text_from = at + 1;
                    at += 2;
                }
                b'h' | b'H' => match links::address_at(text, at) {
                    Some(len) => {
                        self.flush(at);
                        self.push(Inline::Link(text[at..at + len].to_owned()), 0);
                        at += len;
                        self.text_from = at;
                    }
                    None => at += 1,
                },
                _ => at += 1,
            }
        }
        self.flush(text.len());
    }

    /// The text from `text_from` up to `at`, as a node.
    fn flush(&mut self, at: usize) {
        if self.text_from < at {
            let text = self.text[self.text_from..at].to_owned();
            self.push(Inline::Text(text), 0);
        }
        self.text_from = at;
    }

    /// Adds a node `depth` deep; the opener it comes after learns how deep it is.
    fn push(&mut self, node: Inline, depth: usize) {
        if let Some(last) = self.openers.last_mut() {
            last.inner = last.inner.max(depth);
        }
        self.nodes.push(node);
    }

    /// The run of markers between `start` and `end`: it closes what it can, and what is left
    /// of it may open.
    fn delimiters(&mut self, start: usize, end: usize) {
        let marker = self.text.as_bytes()[start];
        let before = self.text[..start].chars().next_back();
        let after = self.text[end..].chars().next();
        let (left, right) = flanking(before, after);
        let (can_open, can_close) = if marker == b'*' {
            (left, right)
        } else {
            (
                left && (!right || punctuation(before)),
                right && (!left || punctuation(after)),
            )
        };
        self.flush(start);
        let mut count = end - start;
        if can_close {
            count = self.close(marker, count);
        }
        if count > 0 {
            let node = self.nodes.len();
            self.push(Inline::Text(markers(marker, count)), 0);
            if can_open {
                self.openers.push(Opener {
                    marker,
                    node,
                    count,
                    inner: 0,
                });
            }
        }
        self.text_from = end;
    }

    /// Matches a closing run of `count` markers with the openers before it; returns how many
    /// of its markers are left.
    fn close(&mut self, marker: u8, mut count: usize) -> usize {
        let which = usize::from(marker == b'_');
        while count > 0 {
            let bottom = self.bottom[which].min(self.openers.len());
            let found = self.openers[bottom..].iter().rposition(|o| {
                step();
                o.marker == marker
            });
            let Some(k) = found.map(|k| k + bottom) else {
                self.bottom[which] = self.openers.len();
                break;
            };
            // The openers after it are text now; what they held is inside it.
            let inner = self.openers[k..].iter().map(|o| o.inner).max().unwrap_or(0);
            self.truncate_openers(k + 1);
            let opener = &mut self.openers[k];
            let used = if opener.count >= 2 && count >= 2 {
                2
            } else {
                1
            };
            opener.count -= used;
            count -= used;
            let depth = inner + 1;
            if depth > MAX_INLINE_DEPTH {
                // Too deep: these markers are shown as typed (the opener's stay in its text).
                opener.inner = inner;
                self.nodes.push(Inline::Text(markers(marker, used)));
            } else {
                opener.inner = depth;
                let node = opener.node;
                let children = merged(self.nodes.split_off(node + 1));
                let wrapped = if used == 2 {
                    Inline::Strong(children)
                } else {
                    Inline::Emphasis(children)
                };
                // The markers used are those nearest the text; the rest stay before it.
                let emptied = match &mut self.nodes[node] {
                    Inline::Text(own) => {
                        own.truncate(own.len().saturating_sub(used));
                        own.is_empty()
                    }
                    _ => false,
                };
                if emptied {
                    self.nodes[node] = wrapped;
                } else {
                    self.nodes.push(wrapped);
                }
            }
            if self.openers[k].count == 0 {
                let done = self.openers.pop().map_or(0, |o| o.inner);
                self.truncate_openers(k);
                if let Some(below) = self.openers.last_mut() {
                    below.inner = below.inner.max(done);
                }
            }
        }
        count
    }

    /// Keeps the first `len` openers, and the bottoms within them.
    fn truncate_openers(&mut self, len: usize) {
        self.openers.truncate(len);
        for bottom in &mut self.bottom {
            *bottom = (*bottom).min(len);
        }
    }
}

/// Whether a run of markers between `before` and `after` can open (stands before a word) and
/// can close (stands after one), by CommonMark's left- and right-flanking rules.
fn flanking(before: Option<char>, after: Option<char>) -> (bool, bool) {
    let space = |c: Option<char>| c.is_none_or(char::is_whitespace);
    let left = !space(after) && (!punctuation(after) || space(before) || punctuation(before));
    let right = !space(before) && (!punctuation(before) || space(after) || punctuation(after));
    (left, right)
}

/// Punctuation and symbols: neither a letter or digit nor white space.
fn punctuation(c: Option<char>) -> bool {
    c.is_some_and(|c| !c.is_alphanumeric() && !c.is_whitespace())
}

fn markers(marker: u8, count: usize) -> String {
    char::from(marker).to_string().repeat(count)
}

/// A code span's text: line breaks become spaces, and one space is taken off each end when
/// both ends have one (so that `` `` ` `` `` can show a backtick).
fn code_text(code: &str) -> String {
    let code = code.replace('\n', " ");
    let trimmable = code.len() >= 2
        && code.starts_with(' ')
        && code.ends_with(' ')
        && code.bytes().any(|b| b != b' ');
    if trimmable {
        code[1..code.len() - 1].to_owned()
    } else {
        code
    }
}

/// A run of backticks, in bytes.
struct Run {
    start: usize,
    end: usize,
}

/// The runs of backticks in `text`, and for each the next run as long (what closes it), found
/// in one pass back from the end.
fn backtick_runs(text: &str) -> (Vec<Run>, Vec<Option<usize>>) {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        step();
        if bytes[at] == b'`' {
            let start = at;
            while bytes.get(at) == Some(&b'`') {
                step();
                at += 1;
            }
            runs.push(Run { start, end: at });
        } else {
            at += 1;
        }
    }
    let mut next_as_long = HashMap::new();
    let mut closers = vec![None; runs.len()];
    for (k, run) in runs.iter().enumerate().rev() {
        step();
        closers[k] = next_as_long.insert(run.end - run.start, k);
    }
    (runs, closers)
}

/// `nodes` with neighbouring texts joined.
fn merged(nodes: Vec<Inline>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(nodes.len());
    for node in nodes {
        step();
        match (out.last_mut(), node) {
            (Some(Inline::Text(last)), Inline::Text(text)) => last.push_str(&text),
            (_, node) => out.push(node),
        }
    }
    out
}
