//! The attachment endpoints:
//!
//! - `POST /api/attachments?name=<file name>`: the body is the file's bytes (any
//!   `Content-Type`; it is not read); `Authorization: Bearer <token>`. 201 with the
//!   attachment (`id`, `name`, `type`, `size`), or 401, 413 `file_too_large`, 413
//!   `quota_exceeded`, 400 `bad_request` (empty, or a picture we will not decode).
//! - `GET /api/attachments/{id}` and `GET /api/attachments/{id}/thumbnail`: the token as a
//!   Bearer header or, because an `<img>` cannot send one, in the files cookie
//!   ([`cookie`]), never in the address. 404 for whoever may not read it, as for an id that
//!   does not exist.
//!
//! What is served can never run in our origin: `Content-Security-Policy: default-src 'none';
//! sandbox` (no script, no style, no plugin, an opaque origin even when opened directly),
//! `X-Content-Type-Options: nosniff` (the type we found is the type), and
//! `Content-Disposition: attachment` for everything but PNG, JPEG, GIF and WebP pictures (HTML
//! and SVG are downloads, never pages), `inline` for those.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shared::{ErrorCode, UserName};

use super::{Attachments, Served, UploadError};
use crate::error::ApiFailure;
use crate::identity::Identity;
use crate::sessions::{bearer, cookie};

/// The policy of every file served: nothing runs, nothing loads, an opaque origin.
pub const FILE_POLICY: &str = "default-src 'none'; sandbox";

/// What the handlers share.
#[derive(Clone)]
struct Endpoints {
    attachments: Attachments,
    identity: Identity,
}

/// The routes, on their own state.
pub fn router(attachments: Attachments, identity: Identity) -> Router {
    Router::new()
        // The body was read, within `--max-upload-bytes`, by `server::body`.
        .route(
            "/api/attachments",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/attachments/{id}", get(file))
        .route("/api/attachments/{id}/thumbnail", get(thumbnail))
        .with_state(Endpoints {
            attachments,
            identity,
        })
}

#[derive(Debug, Deserialize)]
struct UploadQuery {
    name: Option<String>,
}

/// Who is asking: the Bearer token, or the files cookie when `cookie_too` (downloads only:
/// the browser sends the cookie with an upload as well, which must not be made on its
/// strength alone).
async fn who(
    endpoints: &Endpoints,
    headers: &HeaderMap,
    cookie_too: bool,
) -> Result<UserName, ApiFailure> {
    let token = bearer(headers)
        .or_else(|| cookie_too.then(|| cookie::read(headers)).flatten())
        .ok_or_else(ApiFailure::unauthorized)?;
    Ok(endpoints.identity.authenticate(&token).await?.name)
}

fn internal(e: impl std::fmt::Display) -> ApiFailure {
    tracing::error!(error = %e, "attachment request failed");
    ApiFailure::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Internal,
        "internal error",
    )
}

async fn upload(
    State(endpoints): State<Endpoints>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiFailure> {
    let user = who(&endpoints, &headers, false).await?;
    let name = query.name.unwrap_or_default();
    let stored = endpoints.attachments.upload(&user, &name, body).await;
    match stored {
        Ok(attachment) => Ok((StatusCode::CREATED, Json(attachment)).into_response()),
        Err(e) => {
            let message = e.to_string();
            Err(match e {
                UploadError::TooLarge { .. } => ApiFailure::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::FileTooLarge,
                    message,
                ),
                UploadError::OverQuota { .. } => ApiFailure::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::QuotaExceeded,
                    message,
                ),
                UploadError::Empty | UploadError::Picture(_) => {
                    ApiFailure::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
                }
                UploadError::Blob(e) => internal(e),
                UploadError::Store(e) => internal(e),
            })
        }
    }
}

async fn file(
    State(endpoints): State<Endpoints>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    serve(&endpoints, &id, &headers, false).await
}

async fn thumbnail(
    State(endpoints): State<Endpoints>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    serve(&endpoints, &id, &headers, true).await
}

async fn serve(
    endpoints: &Endpoints,
    id: &str,
    headers: &HeaderMap,
    thumbnail: bool,
) -> Result<Response, ApiFailure> {
    let user = who(endpoints, headers, true).await?;
    let found = endpoints
        .attachments
        .find(&user, id, thumbnail)
        .await
        .map_err(internal)?
        .ok_or_else(ApiFailure::not_found)?;
    let tag = HeaderValue::from_str(&format!("\"{}\"", found.key))
        .map_err(|_| ApiFailure::not_found())?;
    if unchanged(headers, &tag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        keep_inert(response.headers_mut(), tag);
        return Ok(response);
    }
    let served = endpoints
        .attachments
        .fetch(found)
        .await
        .map_err(internal)?
        .ok_or_else(ApiFailure::not_found)?;
    Ok(response(served, tag))
}

/// Whether the request's `If-None-Match` names `tag`: the browser has these bytes.
fn unchanged(headers: &HeaderMap, tag: &HeaderValue) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .any(|wanted| crate::assets::caching::matches(wanted, tag))
}

/// The answer that serves `file` under `tag`, with the headers that keep it inert.
pub fn response(file: Served, tag: HeaderValue) -> Response {
    let kind = HeaderValue::from_str(&file.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = HeaderValue::from_str(&content_disposition(&file.name, file.inline))
        .unwrap_or(HeaderValue::from_static("attachment"));
    let mut response = file.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, kind);
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    keep_inert(headers, tag);
    response
}

/// What every answer with a file (or a 304 for one) carries: nothing in it runs, and a
/// browser keeps it only to ask again.
fn keep_inert(headers: &mut HeaderMap, tag: HeaderValue) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FILE_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    // The address no longer names who asks (the cookie does), and whoever may read a file
    // can change: a browser keeps it but asks every time, and the server checks the reader
    // again before it answers 304. The bytes never change under their tag.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    headers.insert(header::ETAG, tag);
}

/// `inline` or `attachment`, with the name as ASCII (`filename`, anything else replaced by
/// `_`) and as UTF-8 (`filename*`, RFC 5987 percent-encoding).
pub fn content_disposition(name: &str, inline: bool) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_safely_and_kept_in_utf8() {
        assert_eq!(
            content_disposition("report.pdf", false),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            content_disposition("a \"b\"\\é.png", true),
            "inline; filename=\"a _b___.png\"; filename*=UTF-8''a%20%22b%22%5C%C3%A9.png"
        );
    }
}
