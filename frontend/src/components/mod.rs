//! The pages and their parts. Components read the [`crate::state::ChatState`] signal and call
//! its methods; they hold no chat logic of their own.

mod account;
mod chat;
mod conversation;
mod sidebar;
mod sign_in;

pub use chat::ChatPage;
pub use sign_in::SignIn;
