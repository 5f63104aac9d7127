//! Entry point of the browser bundle: mounts [`frontend::App`] on the page's body, then
//! removes the loading screen that `index.html` shows until now.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(frontend::App);
    frontend::browser::remove_boot_screen();
}
