//! The built web client over HTTP: [`service`], what `routes::app` falls back to for every
//! path that is not the API's.
//!
//! - `ServeDir` sends each file, or its brotli (`.br`) or gzip (`.gz`) copy made by the build
//!   (`cargo xtask dist`, `xtask/src/compress.rs`) when the browser's `Accept-Encoding` takes
//!   it, with its `Content-Encoding` and the copy's `Content-Length`; a file without copies
//!   goes as it is. Nothing is compressed while answering.
//! - A path that names no file gets `index.html` (the SPA fallback: the client reads its
//!   address), marked [`caching::SpaFallback`] so that it is never cached as the file the path
//!   seems to name.
//! - [`caching`]: `Cache-Control` (immutable for Trunk's hashed names, `no-cache` for the
//!   rest), `Vary: Accept-Encoding`, `ETag` from [`etags`], 304 for `If-None-Match`.

pub mod caching;
pub mod etags;

use std::path::Path;
use std::sync::Arc;

use axum::extract::Request;
use axum::{middleware, Router};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use self::caching::SpaFallback;
use self::etags::Etags;

/// The client's files under `dir`, precompressed where the build made copies, with
/// `index.html` for any other path. Hashes every file of `dir` for its `ETag` first.
pub fn service(dir: &Path) -> Router {
    let etags = Arc::new(Etags::scan(dir));
    tracing::debug!(dir = %dir.display(), files = etags.len(), "the web client's files");
    let index = ServeFile::new(dir.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    let index = ServiceExt::<Request>::map_response(index, |mut response| {
        response.extensions_mut().insert(SpaFallback);
        response
    });
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(index);
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn_with_state(etags, caching::caching))
}
