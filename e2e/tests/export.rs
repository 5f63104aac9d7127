//! Export in a real browser: "Export" in the top bar downloads a zip of everything the user
//! wrote, and the chat stays where it was.

use std::io::Read;
use std::path::Path;

use e2e::{eventually, run, Browser, ChromeDriver, WAIT};
use serde_json::{json, Value};

/// The one finished `.zip` in `dir` (Chromium writes `.crdownload` until it is done).
fn finished_zip(dir: &Path) -> Option<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "zip"))
}

#[test]
#[ignore = "needs the built frontend and chromedriver: run `cargo xtask test`"]
fn export_downloads_what_the_user_wrote_and_the_chat_stays() {
    run(async {
        let server = e2e::start_server().await;
        let driver = ChromeDriver::start();
        let ada = Browser::open(&driver, &server, "ada").await;
        ada.sign_in("ada").await;
        ada.send("hello from ada").await;
        ada.wait_for_status("hello from ada", "confirmed").await;
        let downloads = tempfile::tempdir().expect("a download directory");
        ada.cdp(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": downloads.path().to_str().unwrap()}),
        )
        .await;

        ada.click("[data-testid=export]").await;
        let zip = eventually("the archive downloaded", WAIT, || async {
            finished_zip(downloads.path())
        })
        .await;
        assert_eq!(
            zip.file_name().unwrap().to_str().unwrap(),
            "chat-export-ada.zip"
        );
        let file = std::fs::File::open(&zip).unwrap();
        let mut archive = zip::ZipArchive::new(file).expect("a zip archive");
        let mut text = String::new();
        archive
            .by_name("messages.json")
            .expect("messages.json")
            .read_to_string(&mut text)
            .unwrap();
        let messages: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(messages["name"], "ada");
        assert_eq!(messages["messages"][0]["body"], "hello from ada");
        assert_eq!(messages["messages"][0]["room"], "lobby");

        // Still in the chat, connected, with no error shown.
        assert_eq!(ada.connection_state().await, "connected");
        assert!(ada.bodies().await.contains(&"hello from ada".to_owned()));
        assert!(!ada.page_text().await.contains("The export failed"));
        ada.close().await;
    });
}
