//! Typing notices: forwarded at most once per interval for each user and conversation.

use std::time::Instant;

use shared::{ServerFrame, Target};

use super::{ConnId, Event, Hub, HubError, Route, TypingTarget};
use crate::ws::encode;

impl Hub {
    /// Forwards a typing notice, at most once per interval for each user and conversation.
    /// Notices to users who are offline (or to oneself) are dropped without complaint.
    pub fn typing(&self, id: ConnId, target: TypingTarget) -> Result<(), HubError> {
        let interval = self.shared.config.typing_interval;
        let mut state = self.state();
        let (key, _) = state.conn(id)?;
        let (throttle_key, wire_target) = match &target {
            TypingTarget::Room(room) => {
                if !state.is_member(&key, room) {
                    return Err(HubError::NotMember);
                }
                let t = Target::Room {
                    room: room.to_string(),
                };
                (t.clone(), t)
            }
            TypingTarget::User(to) => {
                let Some(recipient) = state.online_name(&to.key()) else {
                    return Ok(());
                };
                if to.key() == key {
                    return Ok(());
                }
                (
                    Target::User { to: to.key() },
                    Target::User {
                        to: recipient.to_string(),
                    },
                )
            }
        };
        let now = Instant::now();
        let user = state.users.get_mut(&key).ok_or(HubError::NotMember)?;
        // Made on the user's first notice: most users online never send one.
        let typing = user.typing.get_or_insert_with(Box::default);
        if let Some(last) = typing.get(&throttle_key) {
            if now.duration_since(*last) < interval {
                return Ok(());
            }
        }
        if typing.len() >= 64 {
            typing.retain(|_, at| now.duration_since(*at) < interval);
        }
        typing.insert(throttle_key, now);
        let frame = encode(&ServerFrame::Typing {
            from: user.name.to_string(),
            target: wire_target,
        });
        let route = match target {
            TypingTarget::Room(room) => {
                state.send_room(&room, &frame, Some(&key));
                Route::Room {
                    room: room.to_string(),
                    except: Some(key),
                }
            }
            TypingTarget::User(to) => {
                state.send_user(&to.key(), &frame, None);
                Route::User { user: to.key() }
            }
        };
        drop(state);
        self.publish(Event::Frame {
            route,
            frame: frame.text_payload().into_owned(),
        });
        Ok(())
    }
}
