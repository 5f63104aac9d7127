//! Calendar days for the day separators of a conversation: "Today", "Yesterday", else a fixed,
//! readable date ("Tue 2 Dec 2025"). Days are counted in the reader's time zone: the caller
//! gives each instant's offset from UTC (the browser knows it, daylight saving included).

use crate::timeline::Millis;

const MS_PER_DAY: i64 = 86_400_000;
const MS_PER_MINUTE: i64 = 60_000;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A calendar day: days since 1970-01-01 in the reader's time zone.
pub type Day = i64;

/// The local day of `at`, when local time is `offset_minutes` ahead of UTC (JavaScript's
/// `getTimezoneOffset` is the opposite sign).
pub fn local_day(at: Millis, offset_minutes: i32) -> Day {
    let local = i64::try_from(at).unwrap_or(i64::MAX) + i64::from(offset_minutes) * MS_PER_MINUTE;
    local.div_euclid(MS_PER_DAY)
}

/// Year, month (1–12) and day of month (1–31) of a day (Howard Hinnant's `civil_from_days`).
pub fn civil(day: Day) -> (i64, u32, u32) {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u32, d as u32)
}

/// "Today", "Yesterday", or "Tue 2 Dec 2025" for `day`, seen on `today`.
pub fn label(day: Day, today: Day) -> String {
    match today - day {
        0 => "Today".to_owned(),
        1 => "Yesterday".to_owned(),
        _ => {
            let (year, month, dom) = civil(day);
            // 1970-01-01 was a Thursday.
            let weekday = WEEKDAYS[(day + 3).rem_euclid(7) as usize];
            format!("{weekday} {dom} {} {year}", MONTHS[month as usize - 1])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Millis = 3_600_000;
    /// 2026-12-06 00:00 UTC.
    const DEC_6: Millis = 1_796_515_200_000;

    #[test]
    fn civil_dates_are_right() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(-1), (1969, 12, 31));
        assert_eq!(civil(local_day(DEC_6, 0)), (2026, 12, 6));
        // 2024 is a leap year.
        assert_eq!(civil(19_782), (2024, 2, 29));
        assert_eq!(civil(19_783), (2024, 3, 1));
    }

    #[test]
    fn today_and_yesterday_have_names() {
        let today = local_day(DEC_6 + 15 * HOUR, 0);
        assert_eq!(label(local_day(DEC_6, 0), today), "Today");
        assert_eq!(label(local_day(DEC_6 - 1, 0), today), "Yesterday");
        assert_eq!(label(local_day(DEC_6 - 24 * HOUR, 0), today), "Yesterday");
        assert_eq!(
            label(local_day(DEC_6 - 24 * HOUR - 1, 0), today),
            "Fri 4 Dec 2026"
        );
        assert_eq!(label(0, today), "Thu 1 Jan 1970");
    }

    #[test]
    fn days_follow_the_readers_time_zone() {
        // 23:30 UTC on 5 December is already 6 December in Berlin (UTC+1) and still
        // 5 December in New York (UTC-5).
        let late = DEC_6 - HOUR / 2;
        assert_eq!(civil(local_day(late, 60)), (2026, 12, 6));
        assert_eq!(civil(local_day(late, -300)), (2026, 12, 5));
        assert_eq!(civil(local_day(late, 0)), (2026, 12, 5));
    }
}
