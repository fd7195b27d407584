//! UTC calendar fields of a [`SystemTime`], for the dates socket.io writes as JavaScript
//! prints them (the handshake's `time`, the admin UI's timestamps).
use std::time::{SystemTime, UNIX_EPOCH};

/// A moment split into UTC calendar fields.
pub(crate) struct Utc {
    pub year: i64,
    /// 1–12.
    pub month: i64,
    /// 1–31.
    pub day: i64,
    pub hour: u64,
    pub minute: u64,
    pub second: u64,
    pub millis: u64,
    /// Days since 1970-01-01 (a Thursday).
    pub days: i64,
}

impl Utc {
    /// `t` in UTC (times before 1970 read as 1970-01-01).
    pub(crate) fn of(t: SystemTime) -> Utc {
        let ms = t.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        let secs = ms / 1000;
        let days = (secs / 86_400) as i64;
        let rem = secs % 86_400;
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Utc { year, month, day, hour: rem / 3600, minute: (rem % 3600) / 60, second: rem % 60, millis: ms % 1000, days }
    }
}
