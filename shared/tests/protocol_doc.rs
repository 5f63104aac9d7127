//! Keeps `docs/protocol.md` in step with the wire types.
//!
//! Every fenced ```json block in the document must sit right under an annotation naming what it
//! is (`<!-- client: join -->`, `<!-- server: welcome -->`, `<!-- http: SessionRequest -->`).
//! Each block is parsed into that type, its `type` checked against the annotation, and
//! re-serialized: the result must equal the block, so a misspelt or unknown field (which serde
//! would silently drop) fails too. Every frame type needs at least one example, and every error
//! code and close code needs a row in its table.

use std::collections::BTreeSet;
use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use shared::api::{
    AdminFigures, ApiError, ExportArchive, ExportTicket, PasswordRequest, SessionList,
    SessionRequest, SessionResponse,
};
use shared::{close, ClientFrame, ErrorCode, ServerFrame};

const DOC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md");

/// The HTTP bodies the document must show, by the type names used in `<!-- http: ... -->`.
const HTTP_TYPES: &[&str] = &[
    "SessionRequest",
    "SessionResponse",
    "SessionList",
    "PasswordRequest",
    "ExportTicket",
    "ExportArchive",
    "ApiError",
    "Attachment",
    "AdminFigures",
];

/// Defines the list of frame types of one direction and an exhaustive `match` from a frame to its
/// type, from one table. A new variant does not compile until it is added here, and once added,
/// the document must show an example of it.
macro_rules! frame_types {
    ($list:ident, $func:ident, $frame:ident { $($variant:ident => $ty:literal),* $(,)? }) => {
        const $list: &[&str] = &[$($ty),*];

        fn $func(frame: &$frame) -> &'static str {
            match frame {
                $($frame::$variant { .. } => $ty,)*
            }
        }
    };
}

frame_types!(CLIENT_TYPES, client_type, ClientFrame {
    Join => "join",
    Leave => "leave",
    RoomMessage => "room_message",
    PrivateMessage => "private_message",
    Typing => "typing",
    Ping => "ping",
    History => "history",
    Read => "read",
    Conversations => "conversations",
    Edit => "edit",
    Delete => "delete",
    React => "react",
    Unreact => "unreact",
    Activity => "activity",
    Receipts => "receipts",
    Search => "search",
    CreateRoom => "create_room",
    Rooms => "rooms",
    Invite => "invite",
    SetRoom => "set_room",
    SetRole => "set_role",
    Kick => "kick",
    Ban => "ban",
    Unban => "unban",
    Audit => "audit",
    Block => "block",
    Unblock => "unblock",
    Retention => "retention",
    Members => "members",
});

frame_types!(SERVER_TYPES, server_type, ServerFrame {
    Welcome => "welcome",
    ReplayCut => "replay_cut",
    Ack => "ack",
    RoomMessage => "room_message",
    PrivateMessage => "private_message",
    RoomJoined => "room_joined",
    RoomLeft => "room_left",
    MemberJoined => "member_joined",
    MemberLeft => "member_left",
    Presence => "presence",
    Typing => "typing",
    Error => "error",
    Pong => "pong",
    History => "history",
    Read => "read",
    Conversations => "conversations",
    MessageEdited => "message_edited",
    MessageDeleted => "message_deleted",
    Receipts => "receipts",
    Reaction => "reaction",
    SearchResults => "search_results",
    RoomUpdated => "room_updated",
    Invitation => "invitation",
    RoomList => "room_list",
    Done => "done",
    AuditLog => "audit_log",
    Blocked => "blocked",
    Retention => "retention",
    Members => "members",
});

/// One annotated JSON example from the document.
#[derive(Debug)]
struct Example {
    /// `client`, `server` or `http`.
    direction: String,
    /// The frame type (`join`) or, for `http`, the Rust type name (`SessionRequest`).
    name: String,
    /// The block's text, without the fences.
    json: String,
    /// 1-based line of the opening fence, for messages.
    line: usize,
}

fn read_doc() -> String {
    std::fs::read_to_string(DOC_PATH)
        .unwrap_or_else(|e| panic!("cannot read the protocol document at {DOC_PATH}: {e}"))
}

/// Parses `<!-- direction: name -->`.
fn parse_annotation(line: &str) -> Option<(String, String)> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    let (direction, name) = inner.split_once(':')?;
    let direction = direction.trim();
    if !matches!(direction, "client" | "server" | "http") {
        return None;
    }
    Some((direction.to_owned(), name.trim().to_owned()))
}

fn is_json_fence(line: &str) -> bool {
    line.trim_start()
        .strip_prefix("```")
        .is_some_and(|info| info.trim().to_ascii_lowercase().starts_with("json"))
}

/// Collects the annotated examples. Panics, listing every problem, on a JSON block without an
/// annotation, an annotation without a JSON block, or an unclosed fence.
fn examples(doc: &str) -> Vec<Example> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut found = Vec::new();
    let mut problems = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if parse_annotation(line).is_some() {
            if !lines.get(i + 1).is_some_and(|next| is_json_fence(next)) {
                problems.push(format!(
                    "line {}: annotation `{}` is not directly followed by a ```json block",
                    i + 1,
                    line.trim()
                ));
            }
            i += 1;
            continue;
        }
        if line.trim_start().starts_with("```") {
            let opening = i;
            let json = is_json_fence(line);
            let end = (i + 1..lines.len()).find(|&j| lines[j].trim_start().starts_with("```"));
            let Some(end) = end else {
                problems.push(format!("line {}: code block is never closed", opening + 1));
                break;
            };
            if json {
                let annotation = opening
                    .checked_sub(1)
                    .and_then(|prev| parse_annotation(lines[prev]));
                match annotation {
                    Some((direction, name)) => found.push(Example {
                        direction,
                        name,
                        json: lines[opening + 1..end].join("\n"),
                        line: opening + 1,
                    }),
                    None => problems.push(format!(
                        "line {}: ```json block without an annotation on the line before it \
                         (expected e.g. `<!-- client: join -->`, `<!-- server: welcome -->` \
                         or `<!-- http: SessionRequest -->`)",
                        opening + 1
                    )),
                }
            }
            i = end + 1;
            continue;
        }
        i += 1;
    }
    assert!(
        problems.is_empty(),
        "{DOC_PATH}:\n  {}",
        problems.join("\n  ")
    );
    found
}

/// Parses `example` as `T`, re-serializes it and checks that nothing changed on the way. Returns
/// the parsed value and the re-serialized JSON.
fn round_trip<T>(example: &Example, type_name: &str) -> Result<(T, Value), String>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let at = format!(
        "line {} (`{}: {}`)",
        example.line, example.direction, example.name
    );
    let written: Value =
        serde_json::from_str(&example.json).map_err(|e| format!("{at}: not valid JSON: {e}"))?;
    let parsed: T = serde_json::from_str(&example.json)
        .map_err(|e| format!("{at}: does not parse as {type_name}: {e}"))?;
    let reserialized =
        serde_json::to_value(&parsed).map_err(|e| format!("{at}: cannot serialize: {e}"))?;
    if reserialized != written {
        return Err(format!(
            "{at}: changes on a round trip through {type_name} (a misspelt, unknown or null \
             field?)\n    written:      {written}\n    re-serialized: {reserialized}"
        ));
    }
    let again: T = serde_json::from_value(reserialized.clone())
        .map_err(|e| format!("{at}: re-serialized form does not parse again: {e}"))?;
    if again != parsed {
        return Err(format!(
            "{at}: parsing the re-serialized form gives a different value\n    first:  {parsed:?}\n    second: {again:?}"
        ));
    }
    Ok((parsed, reserialized))
}

/// Checks the `type` field of a re-serialized frame against the annotation and the helper.
fn check_frame_type(
    example: &Example,
    json: &Value,
    helper_type: &str,
    problems: &mut Vec<String>,
) {
    let wire_type = json.get("type").and_then(Value::as_str).unwrap_or("<none>");
    if wire_type != example.name {
        problems.push(format!(
            "line {}: annotated `{}: {}` but the frame's type is `{wire_type}`",
            example.line, example.direction, example.name
        ));
    }
    if helper_type != wire_type {
        problems.push(format!(
            "line {}: the test's type table says `{helper_type}` for a frame serde calls \
             `{wire_type}`; fix the frame_types! table in this test",
            example.line
        ));
    }
}

#[test]
fn every_json_example_parses_as_its_annotated_type_and_round_trips() {
    let doc = read_doc();
    let mut problems = Vec::new();
    for example in examples(&doc) {
        let result = match (example.direction.as_str(), example.name.as_str()) {
            ("client", _) => {
                round_trip::<ClientFrame>(&example, "ClientFrame").map(|(frame, json)| {
                    check_frame_type(&example, &json, client_type(&frame), &mut problems)
                })
            }
            ("server", _) => {
                round_trip::<ServerFrame>(&example, "ServerFrame").map(|(frame, json)| {
                    check_frame_type(&example, &json, server_type(&frame), &mut problems)
                })
            }
            ("http", "SessionRequest") => {
                round_trip::<SessionRequest>(&example, "SessionRequest").map(drop)
            }
            ("http", "SessionResponse") => {
                round_trip::<SessionResponse>(&example, "SessionResponse").map(drop)
            }
            ("http", "SessionList") => round_trip::<SessionList>(&example, "SessionList").map(drop),
            ("http", "PasswordRequest") => {
                round_trip::<PasswordRequest>(&example, "PasswordRequest").map(drop)
            }
            ("http", "ExportArchive") => {
                round_trip::<ExportArchive>(&example, "ExportArchive").map(drop)
            }
            ("http", "ExportTicket") => {
                round_trip::<ExportTicket>(&example, "ExportTicket").map(drop)
            }
            ("http", "ApiError") => round_trip::<ApiError>(&example, "ApiError").map(drop),
            ("http", "Attachment") => {
                round_trip::<shared::Attachment>(&example, "Attachment").map(drop)
            }
            ("http", "AdminFigures") => {
                round_trip::<AdminFigures>(&example, "AdminFigures").map(drop)
            }
            ("http", other) => Err(format!(
                "line {}: unknown HTTP type `{other}` (known: {})",
                example.line,
                HTTP_TYPES.join(", ")
            )),
            (direction, _) => unreachable!("parse_annotation accepted direction {direction}"),
        };
        if let Err(problem) = result {
            problems.push(problem);
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) with the JSON examples in {DOC_PATH}:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn every_frame_type_and_http_body_has_an_example() {
    let doc = read_doc();
    let examples = examples(&doc);
    let shown = |direction: &str| -> BTreeSet<&str> {
        examples
            .iter()
            .filter(|e| e.direction == direction)
            .map(|e| e.name.as_str())
            .collect()
    };
    let (client, server, http) = (shown("client"), shown("server"), shown("http"));

    let mut missing = Vec::new();
    for ty in ClientFrame::TYPES {
        if !client.contains(ty) {
            missing.push(format!(
                "client frame `{ty}` (add a `<!-- client: {ty} -->` example)"
            ));
        }
    }
    for ty in SERVER_TYPES {
        if !server.contains(ty) {
            missing.push(format!(
                "server frame `{ty}` (add a `<!-- server: {ty} -->` example)"
            ));
        }
    }
    for ty in HTTP_TYPES {
        if !http.contains(ty) {
            missing.push(format!(
                "HTTP body `{ty}` (add a `<!-- http: {ty} -->` example)"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "{DOC_PATH} has no example of:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn the_test_knows_every_client_type() {
    let from_match: BTreeSet<&str> = CLIENT_TYPES.iter().copied().collect();
    let from_shared: BTreeSet<&str> = ClientFrame::TYPES.iter().copied().collect();
    assert_eq!(
        from_match, from_shared,
        "the frame_types! table for ClientFrame in this test differs from ClientFrame::TYPES"
    );
}

/// Rows of the first Markdown table under the `## {heading}` section: the first cell of each.
fn first_cells_of_section(doc: &str, heading: &str) -> Vec<String> {
    let start = doc
        .lines()
        .position(|l| l.trim() == format!("## {heading}"))
        .unwrap_or_else(|| panic!("{DOC_PATH} has no `## {heading}` section"));
    doc.lines()
        .skip(start + 1)
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.trim().strip_prefix('|'))
        .filter_map(|l| l.split('|').next())
        .map(|cell| cell.trim().to_owned())
        .filter(|cell| !cell.is_empty() && !cell.starts_with("---") && cell != "Code")
        .collect()
}

#[test]
fn every_error_code_is_documented() {
    let doc = read_doc();
    let mut missing = Vec::new();
    for code in ErrorCode::ALL {
        let code = code.as_str();
        if !doc.contains(&format!("`{code}`")) {
            missing.push(format!("`{code}` does not appear in the document"));
        }
    }
    let rows = first_cells_of_section(&doc, "Error codes");
    for code in ErrorCode::ALL {
        let cell = format!("`{}`", code.as_str());
        if !rows.contains(&cell) {
            missing.push(format!("{cell} has no row in the `## Error codes` table"));
        }
    }
    for row in &rows {
        let known = ErrorCode::ALL
            .iter()
            .any(|c| format!("`{}`", c.as_str()) == *row);
        if !known {
            missing.push(format!(
                "the `## Error codes` table lists {row}, which is not in ErrorCode::ALL"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "{DOC_PATH}:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_close_code_is_documented() {
    let doc = read_doc();
    let rows = first_cells_of_section(&doc, "Close codes");
    let mut missing = Vec::new();
    for code in close::ALL {
        if !doc.contains(&code.to_string()) {
            missing.push(format!("close code {code} does not appear in the document"));
        }
        if !rows.contains(&code.to_string()) {
            missing.push(format!(
                "close code {code} has no row in the `## Close codes` table"
            ));
        }
    }
    for row in &rows {
        if !close::ALL.iter().any(|c| c.to_string() == *row) {
            missing.push(format!(
                "the `## Close codes` table lists {row}, which is not in shared::close::ALL"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "{DOC_PATH}:\n  {}",
        missing.join("\n  ")
    );
}
