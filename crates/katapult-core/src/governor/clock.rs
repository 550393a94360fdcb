//! The server's clock as the governor knows it: an interval that surely
//! holds the offset between the local monotonic clock and the server's
//! `Date`, narrowed by every response; and reading and writing HTTP dates.
//!
//! Why an interval: `Date` has one-second resolution, and a request takes
//! time. A `Date` of second `S` on a response to a request sent at local time
//! `t0` and answered at `t1` means the server's clock read somewhere in
//! `[S, S + 1)` at some moment in `[t0, t1]`, so the offset
//! (`server - local`) lies in `[S - t1, S + 1 - t0]`. One response places
//! the server's clock within a second or so; each further one bounds it from
//! both sides, and the intersection shrinks. Windows of a second or two need
//! that precision; a minute-long window barely does.

/// Seconds of server time (Unix) minus seconds of local monotonic time, as
/// an interval known to contain the true value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Offset {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
}

/// What one response did to the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Narrowed {
    /// The first estimate, or a narrower (or equal) one.
    Consistent,
    /// The response contradicts everything seen before: the server's clock
    /// was stepped, or the local one drifted out of the interval. The
    /// estimate starts again from this response.
    Restarted,
}

impl Offset {
    /// What one response says: `date` (Unix seconds) read between local
    /// times `sent` and `received` (seconds, `sent <= received`).
    pub(crate) fn from_response(date: u64, sent: f64, received: f64) -> Self {
        let date = date as f64;
        Self {
            lo: date - received,
            hi: date + 1.0 - sent,
        }
    }

    /// Narrows the estimate with one more response.
    pub(crate) fn narrow(&mut self, response: Offset) -> Narrowed {
        let lo = self.lo.max(response.lo);
        let hi = self.hi.min(response.hi);
        if lo <= hi {
            *self = Self { lo, hi };
            Narrowed::Consistent
        } else {
            *self = response;
            Narrowed::Restarted
        }
    }

    /// How wide the estimate is, in seconds.
    pub(crate) fn width(&self) -> f64 {
        self.hi - self.lo
    }
}

/// Parses an HTTP `Date` in the one format servers send (IMF-fixdate,
/// `Sun, 06 Nov 1994 08:49:37 GMT`) into Unix seconds. `None` for anything
/// else: the obsolete RFC 850 and asctime forms are not sent by Katapult, and
/// a date the client cannot read is ignored rather than guessed at.
pub(crate) fn parse_http_date(text: &str) -> Option<u64> {
    let bytes = text.trim().as_bytes();
    if bytes.len() != 29 || &bytes[3..5] != b", " || &bytes[25..] != b" GMT" {
        return None;
    }
    let weekday = &bytes[..3];
    const WEEKDAYS: [&[u8]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    let separators = [(7, b' '), (11, b' '), (16, b' '), (19, b':'), (22, b':')];
    if separators.iter().any(|&(at, byte)| bytes[at] != byte) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u64> {
        let digits = &bytes[range];
        digits.iter().all(u8::is_ascii_digit).then(|| {
            digits
                .iter()
                .fold(0, |n, digit| n * 10 + u64::from(digit - b'0'))
        })
    };
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let day = number(5..7)?;
    let month = MONTHS.iter().position(|m| *m == &bytes[8..11])? as u64 + 1;
    let year = number(12..16)?;
    let (hour, minute, second) = (number(17..19)?, number(20..22)?, number(23..25)?);
    if year < 1970 || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // 60 is a leap second; the server's clock then reads :59 again or :00.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // A wrong weekday says the date is not what the server meant.
    if WEEKDAYS[(days % 7) as usize] != weekday {
        return None;
    }
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

/// `2026-08-14 15:53:00 UTC` for Unix seconds, for messages.
pub(crate) fn format_utc(unix: u64) -> String {
    let (year, month, day) = civil_from_days(unix / 86_400);
    let seconds = unix % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

fn is_leap(year: u64) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date on or after it (Howard Hinnant's
/// `days_from_civil`, unsigned because nothing before 1970 is accepted).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12; // March = 0
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let days = days + 719_468;
    let era = days / 146_097;
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imf_fixdates_parse_to_unix_seconds() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date(" Sat, 29 Feb 2020 23:59:59 GMT "),
            Some(1_583_020_799)
        );
        assert_eq!(
            parse_http_date("Fri, 14 Aug 2026 15:52:09 GMT"),
            Some(1_786_722_729)
        );
    }

    #[test]
    fn anything_else_is_not_a_date() {
        for text in [
            "",
            "yesterday",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Mon, 06 Nov 1994 08:49:37 GMT", // wrong weekday
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sat, 29 Feb 2019 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Sun, 06 Nov 1994 08:4x:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMTX",
            "Sun, 06 Nov 1994 08:49:37 GM\u{e9}",
        ] {
            assert_eq!(parse_http_date(text), None, "{text:?}");
        }
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [0, 59, 60, 365, 10_957, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(format_utc(1_786_722_729), "2026-08-14 15:52:09 UTC");
    }

    #[test]
    fn responses_narrow_the_offset_from_both_sides() {
        // True offset 1000.3: the server reads local + 1000.3.
        let mut offset = Offset::from_response(1000, 0.0, 0.01); // server read 1000.3
        assert!((offset.lo - 999.99).abs() < 1e-9 && (offset.hi - 1001.0).abs() < 1e-9);
        // Sent at 0.6 (server 1000.9), answered at 0.75 (server 1001.05): Date 1000.
        offset.narrow(Offset::from_response(1000, 0.6, 0.75));
        assert!((offset.hi - 1000.4).abs() < 1e-9, "{offset:?}");
        // Sent at 0.72 (server 1001.02): Date 1001.
        offset.narrow(Offset::from_response(1001, 0.72, 0.73));
        assert!((offset.lo - 1000.27).abs() < 1e-9, "{offset:?}");
        assert!(offset.width() < 0.14);
        // A stepped clock: the estimate starts again.
        assert_eq!(
            offset.narrow(Offset::from_response(5000, 1.0, 1.1)),
            Narrowed::Restarted
        );
        assert!((offset.lo - 4998.9).abs() < 1e-9);
    }
}
