//! Uploading one file from the composer, with progress: `XMLHttpRequest`, because `fetch`
//! reports no upload progress. The file goes as the request's body (the browser streams it
//! from disk), the name in the query, the session token as `Authorization: Bearer`; what the
//! answer means is `state::uploads`' (host-tested).

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{File, ProgressEvent, XmlHttpRequest};

use crate::state::uploads::{refusal, upload_url};

/// Sends `file`; `progress` hears the bytes sent so far, `done` the attachment or why not.
pub fn upload(
    file: &File,
    token: &str,
    progress: impl Fn(u64) + 'static,
    done: impl FnOnce(Result<shared::Attachment, String>) + 'static,
) {
    let Ok(xhr) = XmlHttpRequest::new() else {
        return done(Err(refusal(0, None)));
    };
    let name = String::from(js_sys::encode_uri_component(&file.name()));
    if xhr.open("POST", &upload_url(&name)).is_err()
        || xhr
            .set_request_header("Authorization", &format!("Bearer {token}"))
            .is_err()
    {
        return done(Err(refusal(0, None)));
    }
    if let Ok(target) = xhr.upload() {
        let on_progress = Closure::<dyn Fn(ProgressEvent)>::new(move |e: ProgressEvent| {
            progress(e.loaded() as u64);
        });
        target.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        // Lives as long as the request: the browser drops it with the upload.
        on_progress.forget();
    }
    let answered = xhr.clone();
    let on_end = Closure::once_into_js(move || {
        let status = answered.status().unwrap_or(0);
        let text = answered.response_text().ok().flatten().unwrap_or_default();
        done(if status == 201 {
            serde_json::from_str(&text).map_err(|_| refusal(status, None))
        } else {
            Err(refusal(status, serde_json::from_str(&text).ok()))
        });
    });
    xhr.set_onloadend(Some(on_end.unchecked_ref()));
    // A failure to send is reported by `onloadend` too.
    let _ = xhr.send_with_opt_blob(Some(&**file));
}
