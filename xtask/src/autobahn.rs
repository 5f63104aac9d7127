//! `cargo xtask autobahn`: the Autobahn|Testsuite's fuzzing client (`wstest -m fuzzingclient`)
//! against the echo server `backend/examples/echo.rs`, built from the chat's own handshake,
//! decoder, writer and close path. Fails on any case whose behaviour (or closing behaviour) is
//! `FAILED`; `OK`, `NON-STRICT`, `INFORMATIONAL` and `UNIMPLEMENTED` pass.
//!
//! The testsuite is Python 2.7 (`autobahntestsuite` 0.8.2 from PyPI, every dependency pinned in
//! `xtask/autobahn/requirements.txt`). It is installed once into a virtualenv outside the
//! clone, `~/.cache/chat-xtask/autobahn-<hash of requirements.txt>`, so a fresh clone (CI)
//! reuses it and a change of the pins makes a new one.
//!
//! [`Scope::Full`] runs sections 1–7, 9 and 10 and writes the summary to `docs/autobahn.md`;
//! [`Scope::Quick`] (in `cargo xtask test`) runs 1–7 and 10 in full and one case of each group
//! of section 9, and only prints the summary.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::project::{cache_dir, fnv1a, json_string_field, Project};

/// The pinned requirements, relative to the root.
const REQUIREMENTS: &str = "xtask/autobahn/requirements.txt";
/// virtualenv for Python 2.7 (its last series that makes Python 2 environments).
const VIRTUALENV: &str = "virtualenv==20.15.1";
/// pyenv's name of the interpreter, for when `python2.7` is a pyenv shim with no version set.
const PYENV_VERSION: &str = "2.7.18";
/// The agent name in the report.
const AGENT: &str = "chat-echo";
/// Section 9 in the quick run: the smallest case of each group.
const QUICK_SECTION_9: &[&str] = &[
    "9.1.1", "9.1.2", "9.2.1", "9.2.2", "9.3.1", "9.4.1", "9.5.1", "9.6.1", "9.7.1", "9.8.1",
];

/// How much of the testsuite to run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Sections 1–7, 9, 10; the summary goes to `docs/autobahn.md`.
    Full,
    /// Sections 1–7 and 10, and a case of each group of section 9.
    Quick,
}

/// Runs the testsuite; fails on any `FAILED` case.
pub fn run(project: &Project, scope: Scope) -> Result<()> {
    let wstest = ensure_testsuite(project)?;
    project
        .cargo()
        .args(["build", "-p", "backend", "--example", "echo"])
        .run()?;
    let target = project.target_dir()?;
    let echo = target.join("debug").join("examples").join("echo");
    let work = target.join("autobahn");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work)
        .map_err(|e| Error::new(format!("creating {}: {e}", work.display())))?;
    let server = EchoServer::start(&echo)?;
    let spec = work.join("fuzzingclient.json");
    fs::write(
        &spec,
        spec_json(&server.url, &cases(scope), &work.join("reports")),
    )
    .map_err(|e| Error::new(format!("writing {}: {e}", spec.display())))?;
    let started = Instant::now();
    Cmd::new(&wstest)
        .args(["-m", "fuzzingclient", "-s"])
        .arg(&spec)
        .current_dir(&work)
        .run()?;
    let seconds = started.elapsed().as_secs_f64();
    drop(server);
    let index = work.join("reports").join("index.json");
    let json = fs::read_to_string(&index)
        .map_err(|e| Error::new(format!("reading {}: {e}", index.display())))?;
    let results = parse_report(&json)?;
    let summary = summary(&results, scope, seconds);
    println!("\n{summary}");
    if scope == Scope::Full {
        let doc = project.root().join("docs").join("autobahn.md");
        fs::write(&doc, &summary)
            .map_err(|e| Error::new(format!("writing {}: {e}", doc.display())))?;
        println!("xtask: wrote {}", doc.display());
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| r.behavior == "FAILED" || r.close == "FAILED")
        .map(|r| r.id.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::new(format!(
            "Autobahn cases FAILED: {} (reports in {})",
            failed.join(", "),
            work.join("reports").display()
        )))
    }
}

/// The cases to run.
fn cases(scope: Scope) -> Vec<String> {
    let mut cases: Vec<String> = (1..=7).map(|s| format!("{s}.*")).collect();
    match scope {
        Scope::Full => cases.push("9.*".to_owned()),
        Scope::Quick => cases.extend(QUICK_SECTION_9.iter().map(|c| (*c).to_owned())),
    }
    cases.push("10.*".to_owned());
    cases
}

/// The fuzzing client's specification.
fn spec_json(url: &str, cases: &[String], outdir: &Path) -> String {
    let cases: Vec<String> = cases.iter().map(|c| format!("\"{c}\"")).collect();
    format!(
        "{{\n  \"outdir\": \"{}\",\n  \"servers\": [{{\"agent\": \"{AGENT}\", \"url\": \"{url}\"}}],\n  \
         \"cases\": [{}],\n  \"exclude-cases\": [],\n  \"exclude-agent-cases\": {{}}\n}}\n",
        outdir.display(),
        cases.join(", ")
    )
}

/// `wstest` from the cached virtualenv, made (and filled from the pins) when missing.
fn ensure_testsuite(project: &Project) -> Result<PathBuf> {
    let requirements = project.root().join(REQUIREMENTS);
    let pins = fs::read(&requirements)
        .map_err(|e| Error::new(format!("reading {}: {e}", requirements.display())))?;
    let venv = cache_dir().join(format!("autobahn-{:016x}", fnv1a(&pins)));
    let wstest = venv.join("bin").join("wstest");
    let ready = venv.join("installed");
    if ready.is_file() && wstest.is_file() {
        return Ok(wstest);
    }
    println!(
        "xtask: installing the Autobahn testsuite into {}",
        venv.display()
    );
    let python = || Cmd::new("python2.7").env("PYENV_VERSION", PYENV_VERSION);
    if python()
        .args(["-m", "virtualenv", "--version"])
        .read()
        .is_none()
    {
        python()
            .args(["-m", "pip", "install", "--user", VIRTUALENV])
            .run()
            .map_err(|e| e.context("the Autobahn testsuite needs Python 2.7 (`python2.7`)"))?;
    }
    let _ = fs::remove_dir_all(&venv);
    python().args(["-m", "virtualenv"]).arg(&venv).run()?;
    Cmd::new(venv.join("bin").join("pip"))
        .args(["install", "--no-deps", "-r"])
        .arg(&requirements)
        .run()?;
    fs::write(&ready, b"").map_err(|e| Error::new(format!("writing {}: {e}", ready.display())))?;
    Ok(wstest)
}

/// The echo server, killed when dropped.
struct EchoServer {
    child: Child,
    url: String,
}

impl EchoServer {
    /// Starts `binary` on a free port of loopback and waits until it listens.
    fn start(binary: &Path) -> Result<Self> {
        println!("$ {} 127.0.0.1:0", binary.display());
        let mut child = Command::new(binary)
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| Error::new(format!("starting {}: {e}", binary.display())))?;
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            return Err(Error::new(format!("the echo server said {line:?}")));
        };
        Ok(Self {
            url: format!("ws://{addr}/"),
            child,
        })
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One case's result.
#[derive(Debug, PartialEq, Eq)]
struct CaseResult {
    id: String,
    behavior: String,
    close: String,
}

/// Reads `reports/index.json`: `{"<agent>": {"<case>": {"behavior": …, "behaviorClose": …}}}`.
fn parse_report(json: &str) -> Result<Vec<CaseResult>> {
    let mut results = Vec::new();
    let mut rest = json;
    while let Some(start) = rest.find("\"behavior\"") {
        // The case id is the last quoted key before this object's `{`.
        let before = &rest[..start];
        let open = before
            .rfind('{')
            .ok_or_else(|| Error::new("a malformed Autobahn report"))?;
        let key_end = before[..open]
            .rfind('"')
            .ok_or_else(|| Error::new("a malformed Autobahn report"))?;
        let key_start = before[..key_end]
            .rfind('"')
            .ok_or_else(|| Error::new("a malformed Autobahn report"))?;
        let id = before[key_start + 1..key_end].to_owned();
        let end = rest[start..]
            .find('}')
            .map(|e| start + e)
            .ok_or_else(|| Error::new("a malformed Autobahn report"))?;
        let object = &rest[open..=end];
        let field = |name| {
            json_string_field(object, name)
                .ok_or_else(|| Error::new(format!("case {id} has no {name}")))
        };
        results.push(CaseResult {
            behavior: field("behavior")?,
            close: field("behaviorClose")?,
            id,
        });
        rest = &rest[end + 1..];
    }
    if results.is_empty() {
        return Err(Error::new("the Autobahn report holds no case"));
    }
    Ok(results)
}

/// The Markdown summary: per section, how many cases had each behaviour.
fn summary(results: &[CaseResult], scope: Scope, seconds: f64) -> String {
    const COLUMNS: [&str; 5] = [
        "OK",
        "NON-STRICT",
        "INFORMATIONAL",
        "UNIMPLEMENTED",
        "FAILED",
    ];
    let mut sections: BTreeMap<u32, BTreeMap<&str, usize>> = BTreeMap::new();
    for r in results {
        let section =
            r.id.split('.')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
        let behavior = if r.close == "FAILED" {
            "FAILED"
        } else {
            r.behavior.as_str()
        };
        *sections
            .entry(section)
            .or_default()
            .entry(behavior)
            .or_default() += 1;
    }
    let mut out = String::from("# Autobahn|Testsuite\n\n");
    out.push_str(
        "The WebSocket codec, checked by `wstest -m fuzzingclient` (autobahntestsuite 0.8.2) \
         against `backend/examples/echo.rs`, which runs the chat's own handshake, decoder, \
         writer and close path. Written by `cargo xtask autobahn`; `cargo xtask test` runs \
         sections 1–7 and 10 and one case of each group of section 9.\n\n",
    );
    out.push_str(&format!(
        "{} cases{} in {seconds:.0} s. Counts per section of each case's behaviour (a case whose \
         closing behaviour failed counts as FAILED):\n\n",
        results.len(),
        if scope == Scope::Quick {
            " (quick run)"
        } else {
            ""
        },
    ));
    out.push_str("| Section | Cases |");
    for column in COLUMNS {
        out.push_str(&format!(" {column} |"));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(COLUMNS.len()));
    out.push('\n');
    for (section, counts) in &sections {
        let total: usize = counts.values().sum();
        out.push_str(&format!("| {section} | {total} |"));
        for column in COLUMNS {
            out.push_str(&format!(" {} |", counts.get(column).copied().unwrap_or(0)));
        }
        out.push('\n');
    }
    let others: Vec<&str> = sections
        .values()
        .flat_map(|c| c.keys())
        .filter(|b| !COLUMNS.contains(b))
        .copied()
        .collect();
    if !others.is_empty() {
        out.push_str(&format!("\nOther behaviours: {}.\n", others.join(", ")));
    }
    out.push_str(
        "\nNON-STRICT cases are allowed by the RFC but not the strictest choice: the decoder \
         checks a fragmented text message's UTF-8 once the message is complete, not as each \
         fragment arrives (section 6's fail-fast cases).\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_is_read_case_by_case() {
        let json = r#"{
   "chat-echo": {
      "1.1.1": {
         "behavior": "OK",
         "behaviorClose": "OK",
         "duration": 2,
         "remoteCloseCode": 1000,
         "reportfile": "chat_echo_case_1_1_1.json"
      },
      "6.4.1": {
         "behavior": "NON-STRICT",
         "behaviorClose": "FAILED",
         "duration": 1,
         "remoteCloseCode": null,
         "reportfile": "chat_echo_case_6_4_1.json"
      }
   }
}"#;
        let results = parse_report(json).unwrap();
        assert_eq!(
            results,
            vec![
                CaseResult {
                    id: "1.1.1".into(),
                    behavior: "OK".into(),
                    close: "OK".into()
                },
                CaseResult {
                    id: "6.4.1".into(),
                    behavior: "NON-STRICT".into(),
                    close: "FAILED".into()
                },
            ]
        );
        let text = summary(&results, Scope::Full, 3.0);
        assert!(text.contains("| 1 | 1 | 1 | 0 | 0 | 0 | 0 |"), "{text}");
        assert!(text.contains("| 6 | 1 | 0 | 0 | 0 | 0 | 1 |"), "{text}");
        assert!(parse_report("{}").is_err());
    }

    #[test]
    fn the_quick_run_samples_section_9() {
        let quick = cases(Scope::Quick);
        assert!(quick.contains(&"1.*".to_owned()) && quick.contains(&"10.*".to_owned()));
        assert!(!quick.contains(&"9.*".to_owned()));
        assert!(cases(Scope::Full).contains(&"9.*".to_owned()));
    }
}
