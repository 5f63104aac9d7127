//! Every construct, nesting, what stays as typed, and the work done on hostile input.

use super::*;
use crate::steps;

fn text(s: &str) -> Inline {
    Inline::Text(s.into())
}

fn strong(inner: Vec<Inline>) -> Inline {
    Inline::Strong(inner)
}

fn em(inner: Vec<Inline>) -> Inline {
    Inline::Emphasis(inner)
}

fn code(s: &str) -> Inline {
    Inline::Code(s.into())
}

fn link(s: &str) -> Inline {
    Inline::Link(s.into())
}

fn para(inlines: Vec<Inline>) -> Block {
    Block::Paragraph(inlines)
}

/// The inline nodes of a body that is one paragraph.
fn inline(body: &str) -> Vec<Inline> {
    match parse(body).as_slice() {
        [Block::Paragraph(inlines)] => inlines.clone(),
        other => panic!("{body:?} is not one paragraph: {other:?}"),
    }
}

/// Whether `blocks` hold any node but text (and paragraphs).
fn formatted(blocks: &[Block]) -> bool {
    blocks.iter().any(|block| match block {
        Block::Paragraph(inlines) => inlines.iter().any(|i| !matches!(i, Inline::Text(_))),
        _ => true,
    })
}

#[test]
fn plain_text_is_one_paragraph_of_text() {
    assert_eq!(parse("hello there"), [para(vec![text("hello there")])]);
    assert_eq!(parse(""), Vec::<Block>::new());
    assert_eq!(parse("  \n \n"), Vec::<Block>::new());
    // A single line break stays in the paragraph.
    assert_eq!(
        parse("Sounds good.\nSee you there."),
        [para(vec![text("Sounds good.\nSee you there.")])]
    );
    assert_eq!(parse("a\r\nb"), [para(vec![text("a\nb")])]);
}

#[test]
fn blank_lines_separate_paragraphs() {
    assert_eq!(
        parse("one\n\n\ntwo"),
        [para(vec![text("one")]), para(vec![text("two")])]
    );
}

#[test]
fn bold_italic_and_code() {
    assert_eq!(
        inline("a **bold** b"),
        [text("a "), strong(vec![text("bold")]), text(" b")]
    );
    assert_eq!(inline("__bold__"), [strong(vec![text("bold")])]);
    assert_eq!(
        inline("an *italic* word"),
        [text("an "), em(vec![text("italic")]), text(" word")]
    );
    assert_eq!(inline("_italic_"), [em(vec![text("italic")])]);
    assert_eq!(
        inline("run `cargo test` now"),
        [text("run "), code("cargo test"), text(" now")]
    );
    assert_eq!(inline("***both***"), [em(vec![strong(vec![text("both")])])]);
}

#[test]
fn code_spans_take_what_is_inside_as_typed() {
    assert_eq!(inline("`**not bold**`"), [code("**not bold**")]);
    assert_eq!(inline("`https://a.io`"), [code("https://a.io")]);
    assert_eq!(inline("`<b>x</b>`"), [code("<b>x</b>")]);
    // Longer fences hold shorter runs; one space each side is trimmed.
    assert_eq!(inline("`` a ` b ``"), [code("a ` b")]);
    assert_eq!(inline("`` ` ``"), [code("`")]);
    assert_eq!(inline("`  `"), [code("  ")]);
    // A run closes only with one as long.
    assert_eq!(inline("``a`"), [text("``a`")]);
    assert_eq!(inline("`a``b`"), [code("a``b")]);
    // A code span wins over emphasis that would cross it.
    assert_eq!(inline("**a `b** c`"), [text("**a "), code("b** c")]);
    // Line breaks in a span become spaces.
    assert_eq!(inline("`a\nb`"), [code("a b")]);
}

#[test]
fn nesting_inline() {
    assert_eq!(
        inline("**bold *and italic* and `code`**"),
        [strong(vec![
            text("bold "),
            em(vec![text("and italic")]),
            text(" and "),
            code("code"),
        ])]
    );
    assert_eq!(
        inline("_see **https://example.com/x**_"),
        [em(vec![
            text("see "),
            strong(vec![link("https://example.com/x")])
        ])]
    );
    assert_eq!(
        inline("*a _b_ c*"),
        [em(vec![text("a "), em(vec![text("b")]), text(" c")])]
    );
}

#[test]
fn unclosed_markers_stay_as_typed() {
    for body in [
        "**half",
        "half**",
        "*half",
        "_half",
        "`half",
        "a * b * c",
        "2 * 3 = 6",
        "**",
        "* ",
        "snake_case_name",
        "a__b__c",
        "file_name.rs and other_name.rs",
        "** not bold **",
        "\\*not italic\\*",
    ] {
        let blocks = parse(body);
        assert!(!formatted(&blocks), "{body:?} was formatted: {blocks:?}");
    }
    assert_eq!(inline("**half"), [text("**half")]);
    // A backslash keeps a marker as typed, and goes.
    assert_eq!(inline("\\*not italic\\*"), [text("*not italic*")]);
    // Intraword `*` does emphasise, as in CommonMark.
    assert_eq!(
        inline("un*frigging*believable"),
        [text("un"), em(vec![text("frigging")]), text("believable")]
    );
    // Left over markers stay.
    assert_eq!(inline("**bold*"), [text("*"), em(vec![text("bold")])]);
    assert_eq!(inline("*a **b*"), [text("*a *"), em(vec![text("b")])]);
}

#[test]
fn links_in_text() {
    assert_eq!(
        inline("see https://example.com/a?b=1#c now"),
        [
            text("see "),
            link("https://example.com/a?b=1#c"),
            text(" now")
        ]
    );
    assert_eq!(
        inline("(at http://x.org/a_b_c.)"),
        [text("(at "), link("http://x.org/a_b_c"), text(".)")]
    );
    assert_eq!(
        inline("**https://a.io**"),
        [strong(vec![link("https://a.io")])]
    );
}

#[test]
fn html_stays_text() {
    for body in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<b onmouseover=alert(2)>bold?</b>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "&lt;b&gt; &amp;",
        "<!-- comment -->",
    ] {
        assert_eq!(parse(body), [para(vec![text(body)])], "{body}");
    }
    // Inside formatting too.
    assert_eq!(
        inline("**<script>x</script>**"),
        [strong(vec![text("<script>x</script>")])]
    );
    assert_eq!(
        parse("```\n<img src=x onerror=alert(1)>\n```"),
        [Block::Code("<img src=x onerror=alert(1)>".into())]
    );
}

#[test]
fn only_http_and_https_become_links() {
    for body in [
        "javascript:alert(1)",
        "[click](javascript:alert(1))",
        "[click](https://a.io)x",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com/file",
        "www.example.com",
        "vbscript:msgbox",
        "xhttp://a.io",
        "javascript:http://a.io",
        "![img](https://a.io/x.png)",
    ] {
        let has_link = |inlines: &[Inline]| {
            inlines
                .iter()
                .any(|i| matches!(i, Inline::Link(l) if !l.starts_with("https://a.io")))
        };
        let blocks = parse(body);
        assert!(
            blocks.iter().all(|b| match b {
                Block::Paragraph(inlines) => !has_link(inlines),
                _ => false,
            }),
            "{body}: {blocks:?}"
        );
    }
    // `[text](url)` is not markup: the address inside it is a link to itself and nothing else.
    assert_eq!(
        inline("[click](https://a.io)"),
        [text("[click]("), link("https://a.io"), text(")")]
    );
}

#[test]
fn fenced_code_blocks() {
    assert_eq!(
        parse("look:\n```rust\nfn main() {\n    **x**;\n}\n```\nnice"),
        [
            para(vec![text("look:")]),
            Block::Code("fn main() {\n    **x**;\n}".into()),
            para(vec![text("nice")]),
        ]
    );
    // Closed by at least as many backticks; shorter runs are code.
    assert_eq!(parse("````\n```\n````"), [Block::Code("```".into())]);
    assert_eq!(parse("```\n```"), [Block::Code(String::new())]);
    // The opener's indentation is taken off the lines.
    assert_eq!(
        parse("  ```\n  a\n    b\n  ```"),
        [Block::Code("a\n  b".into())]
    );
}

#[test]
fn an_unclosed_fence_is_text() {
    assert_eq!(parse("```\nnot code"), [para(vec![text("```\nnot code")])]);
    // A closing line needs as many backticks.
    assert_eq!(parse("````\nx\n```"), [para(vec![text("````\nx\n```")])]);
    // A run with text after it does not close the block (the runs are a code span then).
    assert_eq!(parse("```\nx\n``` y"), [para(vec![code("x"), text(" y")])]);
}

#[test]
fn quotes() {
    assert_eq!(
        parse("> quoted **bold**\n> second line\nreply"),
        [
            Block::Quote(vec![para(vec![
                text("quoted "),
                strong(vec![text("bold")]),
                text("\nsecond line")
            ])]),
            para(vec![text("reply")]),
        ]
    );
    assert_eq!(
        parse(">no space\n>> nested"),
        [Block::Quote(vec![
            para(vec![text("no space")]),
            Block::Quote(vec![para(vec![text("nested")])]),
        ])]
    );
    // A quote may hold a list and code.
    assert_eq!(
        parse("> - a\n> ```\n> x\n> ```"),
        [Block::Quote(vec![
            Block::Bullets(vec![vec![para(vec![text("a")])]]),
            Block::Code("x".into()),
        ])]
    );
    // "->" and a ">" inside a line are text.
    assert_eq!(parse("a -> b > c"), [para(vec![text("a -> b > c")])]);
}

#[test]
fn bulleted_lists() {
    let items = |texts: &[&str]| -> Vec<Vec<Block>> {
        texts.iter().map(|t| vec![para(vec![text(t)])]).collect()
    };
    assert_eq!(
        parse("- eggs\n- milk\n- bread"),
        [Block::Bullets(items(&["eggs", "milk", "bread"]))]
    );
    assert_eq!(parse("* a\n* b"), [Block::Bullets(items(&["a", "b"]))]);
    assert_eq!(parse("+ a"), [Block::Bullets(items(&["a"]))]);
    // A list may follow a paragraph's line directly.
    assert_eq!(
        parse("Shopping:\n- eggs\n- milk"),
        [
            para(vec![text("Shopping:")]),
            Block::Bullets(items(&["eggs", "milk"]))
        ]
    );
    // Another marker starts another list; a line without a marker ends it.
    assert_eq!(
        parse("- a\n* b\nafter"),
        [
            Block::Bullets(items(&["a"])),
            Block::Bullets(items(&["b"])),
            para(vec![text("after")]),
        ]
    );
    // A marker needs a space and text after it.
    for body in ["-a", "- ", "-", "*bold*", "**b**", "+1"] {
        assert!(
            !parse(body).iter().any(|b| matches!(b, Block::Bullets(_))),
            "{body}"
        );
    }
}

#[test]
fn numbered_lists() {
    assert_eq!(
        parse("1. first\n2. second"),
        [Block::Numbered {
            start: 1,
            items: vec![
                vec![para(vec![text("first")])],
                vec![para(vec![text("second")])]
            ]
        }]
    );
    assert_eq!(
        parse("3) three\n4) four"),
        [Block::Numbered {
            start: 3,
            items: vec![
                vec![para(vec![text("three")])],
                vec![para(vec![text("four")])]
            ]
        }]
    );
    // Inside a paragraph, only a list from 1 starts: a year at a line's start is text.
    assert_eq!(
        parse("born in\n1984. Then"),
        [para(vec![text("born in\n1984. Then")])]
    );
    for body in ["1.5 million", "2024.", "1234567890. too long", "1.", "1.x"] {
        assert!(
            !parse(body)
                .iter()
                .any(|b| matches!(b, Block::Numbered { .. })),
            "{body}"
        );
    }
}

#[test]
fn nested_lists_and_blocks_in_items() {
    assert_eq!(
        parse("- fruit\n  - apple\n  - pear\n- **veg**"),
        [Block::Bullets(vec![
            vec![
                para(vec![text("fruit")]),
                Block::Bullets(vec![
                    vec![para(vec![text("apple")])],
                    vec![para(vec![text("pear")])],
                ]),
            ],
            vec![para(vec![strong(vec![text("veg")])])],
        ])]
    );
    assert_eq!(
        parse("1. run:\n   ```\n   cargo test\n   ```\n2. done"),
        [Block::Numbered {
            start: 1,
            items: vec![
                vec![para(vec![text("run:")]), Block::Code("cargo test".into())],
                vec![para(vec![text("done")])],
            ]
        }]
    );
    // An indented line after a blank one stays in the item.
    assert_eq!(
        parse("- a\n\n  more\n- b"),
        [Block::Bullets(vec![
            vec![para(vec![text("a")]), para(vec![text("more")])],
            vec![para(vec![text("b")])],
        ])]
    );
}

#[test]
fn plain_text_drops_the_markers() {
    assert_eq!(
        plain_text("**bold** and `code`\n\n- a\n- b\n> q"),
        "bold and code\na\nb\nq"
    );
    assert_eq!(plain_text("<b>x</b>"), "<b>x</b>");
}

/// Nesting stops at the limits: deeper markers are text, nothing recurses without end.
#[test]
fn nesting_is_bounded() {
    fn block_depth(blocks: &[Block]) -> usize {
        blocks
            .iter()
            .map(|b| match b {
                Block::Quote(inner) => 1 + block_depth(inner),
                Block::Bullets(items) | Block::Numbered { items, .. } => {
                    1 + items.iter().map(|i| block_depth(i)).max().unwrap_or(0)
                }
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }
    fn inline_depth(inlines: &[Inline]) -> usize {
        inlines
            .iter()
            .map(|i| match i {
                Inline::Strong(inner) | Inline::Emphasis(inner) => 1 + inline_depth(inner),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }
    let quotes = format!("{} deep", ">".repeat(10_000));
    assert_eq!(block_depth(&parse(&quotes)), MAX_BLOCK_DEPTH);
    let lists = (0..2_000)
        .map(|i| format!("{}- item", "  ".repeat(i)))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(block_depth(&parse(&lists)) <= MAX_BLOCK_DEPTH);
    let bullets = format!("{}x", "- ".repeat(5_000));
    assert!(block_depth(&parse(&bullets)) <= MAX_BLOCK_DEPTH);

    let emphasis = format!("{}x{}", "*a _a ".repeat(1_000), " a_ a*".repeat(1_000));
    let inlines = inline(&emphasis);
    assert_eq!(inline_depth(&inlines), MAX_INLINE_DEPTH);
    // Every marker is still there, as formatting or as text.
    assert_eq!(
        plain_text(&emphasis).len() + 2 * MAX_INLINE_DEPTH,
        emphasis.len()
    );
    let stars = format!("{}x{}", "*".repeat(5_000), "*".repeat(5_000));
    assert_eq!(inline_depth(&inline(&stars)), MAX_INLINE_DEPTH);
}

/// Hostile bodies take work in proportion to their length (counted in steps, not timed), and
/// their nodes are no more than their characters.
#[test]
fn work_is_linear_on_hostile_input() {
    const N: usize = 20_000;
    let cases: Vec<(&str, String)> = vec![
        ("stars", "*".repeat(N)),
        ("underscores", "_".repeat(N)),
        ("backticks", "`".repeat(N)),
        (
            "growing backtick runs",
            (1..200).map(|n| "`".repeat(n) + "a").collect(),
        ),
        ("alternating openers", "*a _".repeat(N / 4)),
        ("unmatched closers", "a* b_ ".repeat(N / 6)),
        ("star words", "*a ".repeat(N / 3)),
        (
            "strong then em",
            format!("{}{}", "**a ".repeat(N / 8), "b*".repeat(N / 4)),
        ),
        (
            "nested",
            format!("{}x{}", "*a _a ".repeat(N / 12), " a_ a*".repeat(N / 12)),
        ),
        (
            "punctuated",
            format!("{}x{}", "*_".repeat(N / 4), "_*".repeat(N / 4)),
        ),
        (
            "deep stars",
            format!("{}x{}", "*".repeat(N / 2), "*".repeat(N / 2)),
        ),
        ("fences", "```\n".repeat(N / 4)),
        (
            "shrinking fences",
            (3..200).rev().map(|n| "`".repeat(n) + "\n").collect(),
        ),
        ("quotes", ">".repeat(N)),
        ("quote lines", "> > > > > > > > a\n".repeat(N / 18)),
        ("bullets", "- ".repeat(N / 2)),
        (
            "indented bullets",
            (0..150).map(|i| " ".repeat(i) + "- x\n").collect(),
        ),
        ("numbers", "1. ".repeat(N / 3)),
        ("schemes", "http://.".repeat(N / 8)),
        ("links", "https://a.io/".repeat(N / 13)),
        (
            "closing brackets",
            format!("https://a.io/{}", ")".repeat(N)),
        ),
        (
            "brackets and dots",
            format!("https://a.io/{}", ").".repeat(N / 2)),
        ),
        ("escapes", "\\*".repeat(N / 2)),
        ("mixed", "**`_> - 1. http://a ```\n".repeat(N / 25)),
        ("spaces", " ".repeat(N)),
        ("lines", "\n".repeat(N)),
    ];
    for (name, body) in cases {
        let (blocks, steps) = steps::count(|| parse(&body));
        let nodes = count_nodes(&blocks);
        assert!(
            steps <= 10 * body.len() as u64 + 100,
            "{name}: {steps} steps for {} bytes",
            body.len()
        );
        assert!(
            nodes <= body.len() + 1,
            "{name}: {nodes} nodes for {} bytes",
            body.len()
        );
        // Twice as long, about twice the work (not four times).
        let double = body.repeat(2);
        let (_, double_steps) = steps::count(|| parse(&double));
        assert!(
            double_steps <= 3 * steps + 100,
            "{name}: {steps} steps, then {double_steps} for twice as much"
        );
    }
}

fn count_nodes(blocks: &[Block]) -> usize {
    fn inlines(nodes: &[Inline]) -> usize {
        nodes
            .iter()
            .map(|n| match n {
                Inline::Strong(inner) | Inline::Emphasis(inner) => 1 + inlines(inner),
                _ => 1,
            })
            .sum()
    }
    blocks
        .iter()
        .map(|b| match b {
            Block::Paragraph(nodes) => 1 + inlines(nodes),
            Block::Code(_) => 1,
            Block::Quote(inner) => 1 + count_nodes(inner),
            Block::Bullets(items) | Block::Numbered { items, .. } => {
                1 + items.iter().map(|i| count_nodes(i)).sum::<usize>()
            }
        })
        .sum()
}

/// The example in the protocol document's "Message formatting" section.
#[test]
fn the_protocol_document_s_example() {
    assert_eq!(
        parse("**Deploy** at 5:\n- run `cargo test`\n- see https://example.com/notes"),
        [
            para(vec![strong(vec![text("Deploy")]), text(" at 5:")]),
            Block::Bullets(vec![
                vec![para(vec![text("run "), code("cargo test")])],
                vec![para(vec![text("see "), link("https://example.com/notes")])],
            ]),
        ]
    );
}
