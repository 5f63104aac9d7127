//! Building the browser client: `trunk build --release --offline` into `<root>/dist`.
//!
//! Trunk reads `Trunk.toml` and `index.html` in the root. It runs with the project tool path
//! (see [`Project::tool_path`]) so it finds the pinned `wasm-bindgen` and `wasm-opt`; `--offline`
//! forbids it from downloading tools of its own, so a mismatch fails loudly instead.

use crate::error::Result;
use crate::project::Project;

/// Builds the frontend into [`Project::dist_dir`]. The tools must be installed already.
pub fn build(project: &Project) -> Result<()> {
    project
        .tool("trunk")?
        .args(["build", "--release", "--offline"])
        .run()
        .map_err(|err| err.context("building the frontend"))?;
    println!(
        "xtask: frontend built into {}",
        project.dist_dir().display()
    );
    Ok(())
}
