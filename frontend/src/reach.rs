//! When the chat server cannot be reached at all: no answer (the fetch failed), or a proxy in
//! front of it (Trunk's in development, a load balancer in production) answering for it with
//! 502, 503 or 504, or with a 500 whose body is not the server's JSON error. Then the person
//! is told where the client looked for the server, not a bare "HTTP 500".

use crate::api::ApiFailure;

/// Whether `failure` means the chat server itself was not reached. A 503 that carries the
/// server's JSON error (`server_full`, `server_busy`) was answered by the server: not this.
pub fn backend_unreachable(failure: &ApiFailure) -> bool {
    match failure {
        ApiFailure::Network(_) => true,
        ApiFailure::Refused {
            status: 500 | 502 | 503 | 504,
            error: None,
        } => true,
        ApiFailure::Refused { .. } => false,
    }
}

/// What to say when the chat server was not reached; `origin` is the page's (the API is
/// asked at `{origin}/api`).
pub fn unreachable_text(origin: &str, failure: &ApiFailure) -> String {
    let how = match failure {
        ApiFailure::Refused { status, .. } => format!(" (the proxy answered HTTP {status})"),
        ApiFailure::Network(_) => String::new(),
    };
    format!(
        "The chat server could not be reached at {origin}/api{how}. Check your connection; \
         if you run it yourself, check that the backend is running."
    )
}

#[cfg(test)]
mod tests {
    use shared::api::ApiError;
    use shared::ErrorCode;

    use super::*;

    fn refused(status: u16) -> ApiFailure {
        ApiFailure::Refused {
            status,
            error: None,
        }
    }

    #[test]
    fn a_proxy_answering_for_a_missing_backend_is_unreachable() {
        for status in [500, 502, 503, 504] {
            assert!(backend_unreachable(&refused(status)), "{status}");
        }
        assert!(backend_unreachable(&ApiFailure::Network(
            "failed to fetch".into()
        )));
    }

    #[test]
    fn the_servers_own_refusals_are_not() {
        assert!(!backend_unreachable(&refused(400)));
        assert!(!backend_unreachable(&refused(429)));
        let full = ApiFailure::Refused {
            status: 503,
            error: Some(ApiError {
                code: ErrorCode::ServerFull,
                message: "full".into(),
            }),
        };
        assert!(!backend_unreachable(&full));
    }

    #[test]
    fn the_text_names_the_address_and_the_proxys_answer() {
        let text = unreachable_text("http://127.0.0.1:8081", &refused(502));
        assert!(
            text.contains("could not be reached at http://127.0.0.1:8081/api"),
            "{text}"
        );
        assert!(text.contains("HTTP 502"), "{text}");
        let text = unreachable_text("http://x", &ApiFailure::Network("down".into()));
        assert!(!text.contains("HTTP"), "{text}");
        assert!(text.contains("backend is running"), "{text}");
    }
}
