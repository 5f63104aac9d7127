//! "last seen 5 min ago", "last seen yesterday at 14:03": when someone offline was last
//! online, relative to now and in the reader's time zone (the caller gives its offset from
//! UTC, as for [`crate::days`]).

use crate::days::{self, local_day};
use crate::timeline::{clock_text, Millis};

const MINUTE: Millis = 60_000;

/// How long ago `at` was, seen at `now`, for someone offline.
pub fn text(at: Millis, now: Millis, offset_minutes: i32) -> String {
    let ago = now.saturating_sub(at);
    if ago < MINUTE {
        return "last seen just now".to_owned();
    }
    if ago < 60 * MINUTE {
        return format!("last seen {} min ago", ago / MINUTE);
    }
    let day = local_day(at, offset_minutes);
    let when = match local_day(now, offset_minutes) - day {
        0 => "today",
        1 => "yesterday",
        _ => return format!("last seen on {}", days::label(day, day + 2)),
    };
    let local = i64::try_from(at).unwrap_or(i64::MAX) + i64::from(offset_minutes) * 60_000;
    let minute_of_day = local.rem_euclid(86_400_000) / 60_000;
    let clock = clock_text((minute_of_day / 60) as u32, (minute_of_day % 60) as u32);
    format!("last seen {when} at {clock}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Millis = 60 * MINUTE;
    /// 2026-12-06 00:00 UTC.
    const DEC_6: Millis = 1_796_515_200_000;

    #[test]
    fn recent_times_are_counted_in_minutes() {
        let now = DEC_6 + 15 * HOUR;
        assert_eq!(text(now - 5_000, now, 0), "last seen just now");
        assert_eq!(text(now, now, 0), "last seen just now");
        // A clock a little behind the server's: still just now.
        assert_eq!(text(now + 5_000, now, 0), "last seen just now");
        assert_eq!(text(now - MINUTE, now, 0), "last seen 1 min ago");
        assert_eq!(text(now - 5 * MINUTE - 1, now, 0), "last seen 5 min ago");
        assert_eq!(text(now - 59 * MINUTE, now, 0), "last seen 59 min ago");
    }

    #[test]
    fn older_times_name_the_day_and_the_local_time() {
        let now = DEC_6 + 15 * HOUR;
        assert_eq!(
            text(DEC_6 + 9 * HOUR + 7 * MINUTE, now, 0),
            "last seen today at 09:07"
        );
        assert_eq!(
            text(DEC_6 - 10 * HOUR + 3 * MINUTE, now, 0),
            "last seen yesterday at 14:03"
        );
        assert_eq!(
            text(DEC_6 - 30 * HOUR, now, 0),
            "last seen on Fri 4 Dec 2026"
        );
    }

    #[test]
    fn the_readers_time_zone_decides_the_day_and_the_clock() {
        // 23:30 UTC on 5 December, seen at 01:00 UTC on the 6th: yesterday in London,
        // today at 00:30 in Berlin (UTC+1).
        let at = DEC_6 - HOUR / 2;
        let now = DEC_6 + HOUR;
        assert_eq!(text(at, now, 0), "last seen yesterday at 23:30");
        assert_eq!(text(at, now, 60), "last seen today at 00:30");
    }
}
