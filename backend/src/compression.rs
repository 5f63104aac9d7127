//! Compression of the API's answers on the fly ([`layer`]), where it pays: JSON and text
//! bodies (the session list, `/metrics`) of at least [`MIN_BYTES`], in brotli or gzip as the
//! client's `Accept-Encoding` prefers, with `Vary: Accept-Encoding`. Never the WebSocket (its
//! route is outside the layer: an upgrade has no body to compress, and frames are not
//! compressed, see `ARCHITECTURE.md`) nor the client's files, which the build compressed
//! already ([`crate::assets`]).

use axum::http::{header, Extensions, HeaderMap, StatusCode, Version};
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// The smallest body compressed: below it the saving is less than a packet's worth, and a
/// small body may even grow.
pub const MIN_BYTES: u16 = 1024;

/// The layer for the API's routes.
pub fn layer() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        // Fast settings (brotli 4, gzip 6 and so on): the answers are made per request.
        .quality(CompressionLevel::Default)
        .compress_when(SizeAbove::new(MIN_BYTES).and(is_text))
}

/// Whether an answer's body is JSON or text, by its `Content-Type`.
fn is_text(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json") || value.starts_with("text/"))
}
