//! Calendar arithmetic without a date library: path dates, `--since/--until`, the RFC 3339
//! times of AWS API output, and the formats AWS writes (S3 key dates, ISO times, syslog).

/// Milliseconds in an hour.
pub const MS_PER_HOUR: i64 = 3_600_000;
/// Milliseconds in a day.
pub const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days in a month of the proleptic Gregorian calendar (`2024-02-30` is no date).
pub fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses a time given on the command line: epoch seconds, `YYYY-MM-DD`, or
/// `YYYY-MM-DDTHH:MM[:SS]` with an optional `Z` (always UTC). Returns epoch milliseconds.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().ok()?.checked_mul(1000);
    }
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (date, time) = text.split_once(['T', ' ']).unwrap_or((text, ""));
    let mut date_parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (
        date_parts.next()??,
        date_parts.next()??,
        date_parts.next()??,
    );
    // Years outside 1-9999 are no log's time, and would overflow the arithmetic below.
    if date_parts.next().is_some()
        || !(1..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=days_in_month(y, m)).contains(&d)
    {
        return None;
    }
    let mut seconds = 0;
    if !time.is_empty() {
        let parts: Vec<i64> = time
            .split(':')
            .map(|p| p.parse::<i64>().ok())
            .collect::<Option<_>>()?;
        let (h, min, s) = match parts.as_slice() {
            [h, min] => (*h, *min, 0),
            [h, min, s] => (*h, *min, *s),
            _ => return None,
        };
        if !(0..24).contains(&h) || !(0..60).contains(&min) || !(0..61).contains(&s) {
            return None;
        }
        seconds = h * 3600 + min * 60 + s;
    }
    Some(days_from_civil(y, m, d) * MS_PER_DAY + seconds * 1000)
}

/// The proleptic Gregorian date (year, month, day) of a count of days since 1970-01-01
/// (the inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A UTC moment split into calendar fields, for writing times the way AWS does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month, 1-12.
    pub month: i64,
    /// Day of the month, 1-31.
    pub day: i64,
    /// Hour, 0-23.
    pub hour: i64,
    /// Minute, 0-59.
    pub minute: i64,
    /// Second, 0-59.
    pub second: i64,
    /// Millisecond, 0-999.
    pub milli: i64,
}

impl Civil {
    /// The calendar fields of epoch milliseconds (UTC).
    pub fn from_ms(ms: i64) -> Self {
        let days = ms.div_euclid(MS_PER_DAY);
        let rest = ms.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Self {
            year,
            month,
            day,
            hour: rest / MS_PER_HOUR,
            minute: rest / 60_000 % 60,
            second: rest / 1000 % 60,
            milli: rest % 1000,
        }
    }

    /// `2024-01-31T23:59:59Z`, as CloudTrail writes `eventTime`.
    pub fn iso_seconds(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `2024-01-31T23:59:59.123Z`, as the AWS CLI and Route 53 Resolver write times.
    pub fn iso_millis(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.milli
        )
    }

    /// `Jan 31 23:59:59`, the RFC 3164 syslog stamp (no year, day padded with a space).
    pub fn syslog(&self) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let month = MONTHS[(self.month.clamp(1, 12) - 1) as usize];
        format!(
            "{month} {:>2} {:02}:{:02}:{:02}",
            self.day, self.hour, self.minute, self.second
        )
    }
}

/// Parses an RFC 3339 time as the AWS API and CLI write it (`2018-11-27T03:36:34+00:00`,
/// `2024-01-31T23:59:59.123Z`, `2024-01-31 23:59:59`) into epoch milliseconds, applying any
/// offset. Returns None for anything else.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let text = text.trim();
    // `get` rather than `split_at`: text from an inventory may have a multibyte character
    // across byte 10, which is then simply not a time.
    let (date, rest) = (text.get(..10)?, text.get(10..)?);
    let day_ms = parse_time(date)?;
    let rest = rest.strip_prefix(['T', 't', ' ']).unwrap_or(rest);
    if rest.is_empty() {
        return Some(day_ms);
    }
    // Split off the zone: `Z`, or a `+HH:MM` / `-HH:MM` offset after the clock.
    let (clock, offset_ms) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else if let Some(at) = rest.rfind(['+', '-']).filter(|&at| at >= 5) {
        let (clock, zone) = rest.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (h, m) = zone[1..].split_once(':').unwrap_or((&zone[1..], "0"));
        let (h, m) = (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?);
        // Real offsets are within ±14:00; anything past a day is not an offset.
        if !(0..24).contains(&h) || !(0..60).contains(&m) {
            return None;
        }
        let minutes = h * 60 + m;
        (clock, sign * minutes * 60_000)
    } else {
        (rest, 0)
    };
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m) = (parts.next()??, parts.next()??);
    let s = parts.next().flatten().unwrap_or(0);
    if parts.next().is_some()
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..61).contains(&s)
    {
        return None;
    }
    let millis = if fraction.is_empty() {
        0
    } else {
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits: String = fraction.chars().chain("000".chars()).take(3).collect();
        digits.parse::<i64>().ok()?
    };
    Some(day_ms + (h * 3600 + m * 60 + s) * 1000 + millis - offset_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(parse_time("2014-12-14T04:06:50Z"), Some(1_418_530_010_000));
        assert_eq!(parse_time("1418530010"), Some(1_418_530_010_000));
        assert_eq!(parse_time("2014-12-14"), Some(1_418_515_200_000));
        assert_eq!(parse_time("2014-13-01"), None);
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn rfc3339_as_aws_writes_it() {
        let t = 1_543_289_794_000; // 2018-11-27T03:36:34Z
        assert_eq!(parse_rfc3339("2018-11-27T03:36:34+00:00"), Some(t));
        assert_eq!(parse_rfc3339("2018-11-27T03:36:34Z"), Some(t));
        assert_eq!(parse_rfc3339("2018-11-27T03:36:34.250Z"), Some(t + 250));
        assert_eq!(parse_rfc3339("2018-11-27T05:36:34+02:00"), Some(t));
        assert_eq!(parse_rfc3339("2018-11-26T22:36:34-05:00"), Some(t));
        assert_eq!(parse_rfc3339("2018-11-27 03:36:34"), Some(t));
        assert_eq!(parse_rfc3339("2018-11-27T03:36"), Some(t - 34_000));
        assert_eq!(parse_rfc3339("not a time"), None);
        assert_eq!(parse_rfc3339("2018-11-27T25:00:00Z"), None);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 11_017, 19_753, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        let c = Civil::from_ms(1_543_289_794_250);
        assert_eq!(c.iso_millis(), "2018-11-27T03:36:34.250Z");
        assert_eq!(c.iso_seconds(), "2018-11-27T03:36:34Z");
        assert_eq!(
            Civil::from_ms(1_541_221_994_000).syslog(),
            "Nov  3 05:13:14"
        );
    }

    #[test]
    fn multibyte_text_near_the_date_is_not_a_time_and_does_not_panic() {
        // "é" is two bytes: the tenth byte falls inside it.
        assert_eq!(parse_rfc3339("2024-01-3é1T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2024-01-é"), None);
        assert_eq!(parse_rfc3339("ééééééééééé"), None);
    }

    #[test]
    fn far_years_and_huge_offsets_are_not_times_and_do_not_overflow() {
        assert_eq!(parse_time("99999999999999-01-01"), None);
        assert_eq!(parse_time("0-01-01"), None);
        assert!(parse_time("9999-12-31").is_some());
        assert_eq!(parse_time("99999999999999999999"), None);
        assert_eq!(
            parse_rfc3339("2024-01-01T00:00:00+99999999999999999:00"),
            None
        );
        assert_eq!(parse_rfc3339("2024-01-01T00:00:00+24:00"), None);
        assert_eq!(
            parse_rfc3339("2024-01-01T02:00:00+02:00"),
            parse_rfc3339("2024-01-01T00:00:00Z")
        );
        assert_eq!(parse_rfc3339("99999999999999-01-01T00:00:00Z"), None);
    }

    /// Days since 1970-01-01 counted the long way: whole years, then whole months.
    fn naive_days(year: i64, month: i64, day: i64) -> i64 {
        let leap = |y: i64| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        let mut days = 0;
        if year >= 1970 {
            for y in 1970..year {
                days += if leap(y) { 366 } else { 365 };
            }
        } else {
            for y in year..1970 {
                days -= if leap(y) { 366 } else { 365 };
            }
        }
        for m in 1..month {
            days += days_in_month(year, m);
        }
        days + day - 1
    }

    proptest::proptest! {
        #[test]
        fn days_agree_with_counting_and_invert(
            year in 1i64..=9999, month in 1i64..=12, day in 1i64..=31
        ) {
            let day = day.min(days_in_month(year, month));
            let days = days_from_civil(year, month, day);
            proptest::prop_assert_eq!(days, naive_days(year, month, day));
            proptest::prop_assert_eq!(civil_from_days(days), (year, month, day));
            let text = format!("{year:04}-{month:02}-{day:02}");
            proptest::prop_assert_eq!(parse_time(&text), Some(days * MS_PER_DAY));
        }

        #[test]
        fn a_written_time_reads_back(ms in 0i64..253_402_300_800_000) {
            let civil = Civil::from_ms(ms);
            proptest::prop_assert_eq!(parse_rfc3339(&civil.iso_millis()), Some(ms));
            proptest::prop_assert_eq!(
                parse_rfc3339(&civil.iso_seconds()),
                Some(ms - ms.rem_euclid(1000))
            );
        }

        #[test]
        fn an_offset_moves_the_time_by_itself(
            ms in 86_400_000i64..253_402_214_400_000,
            hours in 0i64..24,
            minutes in 0i64..60,
            east in proptest::bool::ANY
        ) {
            let seconds = ms - ms.rem_euclid(1000);
            let civil = Civil::from_ms(seconds);
            let sign = if east { '+' } else { '-' };
            let text = format!("{}{sign}{hours:02}:{minutes:02}", &civil.iso_seconds()[..19]);
            let offset = (hours * 60 + minutes) * 60_000 * if east { 1 } else { -1 };
            proptest::prop_assert_eq!(parse_rfc3339(&text), Some(seconds - offset));
        }

        #[test]
        fn no_text_panics(text in ".{0,40}") {
            let _ = parse_time(&text);
            let _ = parse_rfc3339(&text);
        }
    }

    #[test]
    fn days_past_the_end_of_their_month_are_no_date() {
        assert_eq!(parse_time("2023-02-29"), None);
        assert_eq!(parse_time("2024-04-31"), None);
        assert!(parse_time("2024-02-29").is_some());
        assert!(parse_time("2000-02-29").is_some());
        assert_eq!(parse_time("1900-02-29"), None);
    }
}
