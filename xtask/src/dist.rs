//! Building the browser client: `trunk build --release --offline` into `<root>/dist`, then
//! the brotli and gzip copies of its files ([`crate::compress`]) that the server sends as they
//! are.
//!
//! Trunk reads `Trunk.toml` and `index.html` in the root. It runs with the project tool path
//! (see [`Project::tool_path`]) so it finds the pinned `wasm-bindgen` and `wasm-opt`; `--offline`
//! forbids it from downloading tools of its own, so a mismatch fails loudly instead.

use crate::compress;
use crate::error::Result;
use crate::project::Project;

/// Builds the frontend into [`Project::dist_dir`] and precompresses it. The tools must be
/// installed already.
pub fn build(project: &Project) -> Result<()> {
    project
        .tool("trunk")?
        .args(["build", "--release", "--offline"])
        .run()
        .map_err(|err| err.context("building the frontend"))?;
    let dist = project.dist_dir();
    let outcomes =
        compress::precompress(&dist).map_err(|err| err.context("precompressing the frontend"))?;
    compress::report(&outcomes);
    println!(
        "xtask: frontend built into {}, with brotli and gzip copies",
        dist.display()
    );
    Ok(())
}
