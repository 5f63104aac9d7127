//! The pages and their parts. Components read the [`crate::state::ChatState`] signal and call
//! its methods; they hold no chat logic of their own.

mod account;
mod admin;
mod chat;
mod composer;
mod conversation;
mod files;
mod focus;
mod formatted;
mod keyboard;
mod mention_list;
mod message_actions;
mod reactions;
mod reading;
mod reply_quote;
mod room_browser;
mod seen;
mod send_problems;
mod sidebar;
mod sign_in;
mod switcher;

pub use chat::ChatPage;
pub use sign_in::SignIn;
