//! `cargo xtask test`: every check the project has, in order, stopping at the first failure.
//!
//! The steps, cheapest first:
//!
//! 1. install what is missing (toolchain components, wasm tools, Chromium) and start
//!    PostgreSQL and Redis when they are down;
//! 2. `cargo fmt --all --check`;
//! 3. `cargo clippy --workspace --all-targets -- -D warnings`;
//! 4. hadolint on the Dockerfiles (`hadolint.rs`);
//! 5. `cargo test --workspace` (host tests, including the backend's integration tests), then
//!    `cargo test -p shared -p frontend` (`shared` as the browser has it, without `unicode`);
//!    then the server-level suite (`cargo test -p backend --test server`) again with
//!    `TEST_STORE=postgres`, every test on a fresh PostgreSQL schema;
//! 6. the Autobahn|Testsuite, quick (`autobahn`: sections 1–7 and 10, a sample of 9);
//! 7. each fuzz target for 15 s (`fuzz`);
//! 8. build the frontend with Trunk;
//! 9. check its size: the wasm and JavaScript at most 340,000 bytes gzipped (`size`);
//! 10. build the `chat-server` binary (debug);
//! 11. the browser suite, `cargo test -p e2e -- --ignored --test-threads=1`, told where the
//!     server binary and the built frontend are through `CHAT_SERVER_BIN` and `CHAT_DIST_DIR`;
//! 12. a smoke run of the benchmark (`cargo xtask bench --smoke`: tiny sizes, every scenario
//!     against both servers, figures discarded), so that the harness keeps working.
//!
//! This is what CI runs (`.ci/run`), so a green run here means a green CI.

use std::time::Instant;

use crate::dist;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::size;
use crate::tools::{self, Purpose};

/// One named step of the test run.
struct Step {
    /// Shown in the progress header and in the error when the step fails.
    name: &'static str,
    /// Does the work; an error stops the run.
    action: fn(&Project) -> Result<()>,
}

/// The steps of `cargo xtask test`, in the order they run.
const STEPS: &[Step] = &[
    Step {
        name: "install missing tools",
        action: |project| tools::setup(project, Purpose::Test),
    },
    Step {
        name: "formatting",
        action: |project| project.cargo().args(["fmt", "--all", "--check"]).run(),
    },
    Step {
        name: "clippy",
        action: |project| {
            project
                .cargo()
                .args([
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ])
                .run()
        },
    },
    Step {
        name: "Dockerfiles (hadolint)",
        action: crate::hadolint::check,
    },
    Step {
        name: "host tests",
        action: |project| {
            project.cargo().args(["test", "--workspace"]).run()?;
            // Again as the browser builds them: `shared` without its `unicode` feature (the
            // workspace build has it on, because the backend asks for it).
            project
                .cargo()
                .args(["test", "-p", "shared", "-p", "frontend"])
                .run()
        },
    },
    Step {
        name: "server tests on PostgreSQL",
        action: |project| {
            project
                .cargo()
                .env("TEST_STORE", "postgres")
                .args(["test", "-p", "backend", "--test", "server"])
                .run()
        },
    },
    Step {
        name: "Autobahn testsuite (quick)",
        action: |project| crate::autobahn::run(project, crate::autobahn::Scope::Quick),
    },
    Step {
        name: "fuzz targets (15 s each)",
        action: |project| crate::fuzz::run(project, 15),
    },
    Step {
        name: "build the frontend",
        action: dist::build,
    },
    Step {
        name: "client size",
        action: size::check,
    },
    Step {
        name: "build the server",
        action: |project| {
            project
                .cargo()
                .args(["build", "-p", "backend", "--bin", "chat-server"])
                .run()
        },
    },
    Step {
        name: "browser tests",
        action: browser_tests,
    },
    Step {
        name: "benchmark smoke run",
        action: |project| crate::bench::run(project, &["--smoke".into()]),
    },
];

/// Runs every step; the error names the step that failed.
pub fn run(project: &Project) -> Result<()> {
    let started = Instant::now();
    let total = STEPS.len();
    for (index, step) in STEPS.iter().enumerate() {
        let number = index + 1;
        println!("\n==> [{number}/{total}] {}", step.name);
        let step_started = Instant::now();
        (step.action)(project)
            .map_err(|err| err.context(format!("step {number}/{total} ({}) failed", step.name)))?;
        println!(
            "==> [{number}/{total}] {} passed ({:.1}s)",
            step.name,
            step_started.elapsed().as_secs_f64()
        );
    }
    println!(
        "\nxtask: all {total} steps passed in {:.0}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The e2e suite against the debug `chat-server` and the built `dist/`.
fn browser_tests(project: &Project) -> Result<()> {
    let server = project
        .target_dir()?
        .join("debug")
        .join(format!("chat-server{}", std::env::consts::EXE_SUFFIX));
    if !server.is_file() {
        return Err(Error::new(format!(
            "the server binary is not at {}",
            server.display()
        )));
    }
    let dist = project.dist_dir();
    if !dist.join("index.html").is_file() {
        return Err(Error::new(format!(
            "the built frontend is not in {} (no index.html)",
            dist.display()
        )));
    }
    project
        .cargo()
        .env("CHAT_SERVER_BIN", &server)
        .env("CHAT_DIST_DIR", &dist)
        .args(["test", "-p", "e2e", "--", "--ignored", "--test-threads=1"])
        .run()
}
