//! The banner answered by a bare `GET /is/image` (spec §3.9).
//!
//! It is a Java-properties text: `#S7Z OK`, a date line, then `copyright=`.
//! This module must never touch the catalog or the renderer.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::header;
use axum::response::IntoResponse;

/// `GET /is/image`: tells a client that Image Serving is up.
pub(crate) async fn banner() -> impl IntoResponse {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let body = format!(
        "#S7Z OK\n#{}\ncopyright=Copyright (c) the Rendition contributors. Rendition {} is licensed under Apache-2.0.\n",
        java_date(seconds),
        env!("CARGO_PKG_VERSION"),
    );
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
}

/// Formats Unix seconds as Java's `Date.toString()` in UTC, as Scene7's
/// property replies do: `Thu Jan 01 00:00:00 UTC 1970`.
fn java_date(seconds: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = seconds / 86_400;
    let secs = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        year
    )
}

/// Converts days since 1970-01-01 to (year, month 1–12, day 1–31), after
/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::java_date;

    #[test]
    fn dates_print_like_java() {
        assert_eq!(java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(java_date(951_782_400), "Tue Feb 29 00:00:00 UTC 2000");
        assert_eq!(
            java_date(1_764_806_400 + 3661),
            "Thu Dec 04 01:01:01 UTC 2025"
        );
    }
}
