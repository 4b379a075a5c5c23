//! Dates as the shop reads and types them: `YYYY-MM-DD` and `YYYY-MM-DD HH:MM` in UTC. The
//! database keeps unix seconds.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Parse `YYYY-MM-DD` to the unix time of that day's start (UTC).
pub fn parse_date(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not a date; write it as YYYY-MM-DD, e.g. 2026-11-26");
    let mut parts = text.trim().splitn(3, '-');
    let mut field = |len: usize| {
        parts
            .next()
            .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let (y, m, d) = (field(4)?, field(2)?, field(2)?);
    let month_days = [
        31,
        28 + i64::from(is_leap(y)),
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let max = usize::try_from(m - 1)
        .ok()
        .and_then(|i| month_days.get(i))
        .ok_or_else(bad)?;
    if d < 1 || d > *max {
        return Err(bad());
    }
    Ok(days_from_civil(y, m, d) * 86_400)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// `YYYY-MM-DD` of a unix time (UTC).
#[must_use]
pub fn format_date(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD HH:MM` of a unix time (UTC).
#[must_use]
pub fn format_minute(t: i64) -> String {
    let secs = t.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}",
        format_date(t),
        secs / 3600,
        (secs % 3600) / 60
    )
}

/// A duration as `1 h 05 min` or `12 min`.
#[must_use]
pub fn format_duration(secs: i64) -> String {
    let minutes = secs.max(0) / 60;
    if minutes >= 60 {
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    } else {
        format!("{minutes} min")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_unix_time() {
        assert_eq!(parse_date("1970-01-01"), Ok(0));
        assert_eq!(parse_date("2026-11-26"), Ok(1_795_651_200));
        assert_eq!(format_date(1_795_651_200), "2026-11-26");
        assert_eq!(
            format_minute(1_795_651_200 + 3600 * 13 + 60 * 7 + 59),
            "2026-11-26 13:07"
        );
        assert_eq!(
            parse_date("2024-02-29").map(format_date),
            Ok("2024-02-29".to_owned())
        );
        for day in (0..100_000).step_by(97) {
            assert_eq!(parse_date(&format_date(day * 86_400)), Ok(day * 86_400));
        }
    }

    #[test]
    fn impossible_dates_are_refused_with_the_expected_form() {
        for bad in [
            "2026-13-01",
            "2025-02-29",
            "2026-11-31",
            "26-11-01",
            "2026/11/26",
            "",
            "2026-11-2x",
        ] {
            let err = parse_date(bad).unwrap_err();
            assert!(err.contains("YYYY-MM-DD"), "{bad}: {err}");
        }
    }

    #[test]
    fn durations_read_like_a_time_sheet() {
        assert_eq!(format_duration(0), "0 min");
        assert_eq!(format_duration(59 * 60), "59 min");
        assert_eq!(format_duration(65 * 60), "1 h 05 min");
    }
}
