//! XEP-0082 date and time profiles: [`Date`] (`CCYY-MM-DD`), [`DateTime`]
//! (`CCYY-MM-DDThh:mm:ss[.sss]TZD`) and [`Time`] (`hh:mm:ss[.sss][TZD]`), parsed strictly
//! by hand (each field its exact digit count and range, days per month with leap years, at
//! most nine fraction digits) and written back exactly as read.

use std::fmt;
use std::str::FromStr;

use crate::ParseError;

/// A time zone designator: `Z` or `±hh:mm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tz {
    /// `Z`.
    Utc,
    /// `±hh:mm`, as minutes east of UTC (-14:00..=+14:00).
    Offset(i16),
}

impl Tz {
    /// Minutes east of UTC.
    pub fn minutes(self) -> i16 {
        match self {
            Tz::Utc => 0,
            Tz::Offset(m) => m,
        }
    }
}

impl fmt::Display for Tz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Tz::Utc => f.write_str("Z"),
            Tz::Offset(m) => {
                let sign = if m < 0 { '-' } else { '+' };
                let a = m.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", a / 60, a % 60)
            }
        }
    }
}

/// A calendar date (the XEP-0082 Date profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    /// Year, 0..=9999.
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of month, 1..=28/29/30/31.
    pub day: u8,
}

/// A time of day with optional fraction and time zone (the Time profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Time {
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Second, 0..=59.
    pub second: u8,
    /// Fraction of a second in nanoseconds.
    pub nanos: u32,
    /// How many fraction digits were written (0..=9), kept to write the value back as read.
    pub frac_digits: u8,
    /// The time zone designator, if any.
    pub tz: Option<Tz>,
}

/// A date and time with a required time zone (the DateTime profile).
///
/// ```
/// use xmpp_stanza::xep::datetime::DateTime;
/// let t: DateTime = "1969-07-21T02:56:15.123-04:00".parse().unwrap();
/// assert_eq!(t.unix_timestamp(), -14_159_025 + 4 * 3600);
/// assert_eq!(t.to_string(), "1969-07-21T02:56:15.123-04:00");
/// assert!("1969-02-29T02:56:15Z".parse::<DateTime>().is_err()); // not a leap year
/// assert!("1969-07-21T02:56:15".parse::<DateTime>().is_err());  // time zone required
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime {
    /// The date.
    pub date: Date,
    /// The time; its `tz` is always `Some` in a parsed value.
    pub time: Time,
}

fn err(profile: &'static str, value: &str, reason: &'static str) -> ParseError {
    ParseError::BadDateTime {
        profile,
        value: value.to_owned(),
        reason,
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
    profile: &'static str,
    value: &'a str,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize, what: &'static str) -> Result<u32, ParseError> {
        let end = self.pos + n;
        let part = self
            .s
            .get(self.pos..end)
            .ok_or_else(|| err(self.profile, self.value, what))?;
        let mut v = 0u32;
        for &b in part {
            if !b.is_ascii_digit() {
                return Err(err(self.profile, self.value, what));
            }
            v = v * 10 + u32::from(b - b'0');
        }
        self.pos = end;
        Ok(v)
    }

    fn byte(&mut self, c: u8, what: &'static str) -> Result<(), ParseError> {
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(err(self.profile, self.value, what))
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos == self.s.len()
    }

    fn date(&mut self) -> Result<Date, ParseError> {
        let year = self.digits(4, "year must be four digits")? as u16;
        self.byte(b'-', "expected '-' after the year")?;
        let month = self.digits(2, "month must be two digits")? as u8;
        self.byte(b'-', "expected '-' after the month")?;
        let day = self.digits(2, "day must be two digits")? as u8;
        if !(1..=12).contains(&month) {
            return Err(err(self.profile, self.value, "month out of range 01-12"));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(err(
                self.profile,
                self.value,
                "day out of range for the month",
            ));
        }
        Ok(Date { year, month, day })
    }

    fn time(&mut self) -> Result<Time, ParseError> {
        let hour = self.digits(2, "hour must be two digits")? as u8;
        self.byte(b':', "expected ':' after the hour")?;
        let minute = self.digits(2, "minute must be two digits")? as u8;
        self.byte(b':', "expected ':' after the minute")?;
        let second = self.digits(2, "second must be two digits")? as u8;
        if hour > 23 || minute > 59 || second > 59 {
            return Err(err(
                self.profile,
                self.value,
                "hour, minute or second out of range",
            ));
        }
        let (mut nanos, mut frac_digits) = (0u32, 0u8);
        if self.peek() == Some(b'.') {
            self.pos += 1;
            while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
                if frac_digits == 9 {
                    return Err(err(
                        self.profile,
                        self.value,
                        "more than nine fraction digits",
                    ));
                }
                nanos = nanos * 10 + u32::from(b - b'0');
                frac_digits += 1;
                self.pos += 1;
            }
            if frac_digits == 0 {
                return Err(err(self.profile, self.value, "empty fraction of a second"));
            }
            nanos *= 10u32.pow(9 - u32::from(frac_digits));
        }
        let tz = match self.peek() {
            None => None,
            Some(b'Z') => {
                self.pos += 1;
                Some(Tz::Utc)
            }
            Some(sign @ (b'+' | b'-')) => {
                self.pos += 1;
                let h = self.digits(2, "time zone hour must be two digits")?;
                self.byte(b':', "expected ':' in the time zone")?;
                let m = self.digits(2, "time zone minute must be two digits")?;
                if m > 59 || h * 60 + m > 14 * 60 {
                    return Err(err(
                        self.profile,
                        self.value,
                        "time zone offset out of range",
                    ));
                }
                let minutes = (h * 60 + m) as i16;
                Some(Tz::Offset(if sign == b'-' { -minutes } else { minutes }))
            }
            Some(_) => return Err(err(self.profile, self.value, "unexpected character")),
        };
        if !self.at_end() {
            return Err(err(self.profile, self.value, "trailing characters"));
        }
        Ok(Time {
            hour,
            minute,
            second,
            nanos,
            frac_digits,
            tz,
        })
    }
}

fn is_leap(year: u16) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl FromStr for Date {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let mut c = Cursor {
            s: s.as_bytes(),
            pos: 0,
            profile: "Date",
            value: s,
        };
        let d = c.date()?;
        if !c.at_end() {
            return Err(err("Date", s, "trailing characters"));
        }
        Ok(d)
    }
}

impl FromStr for Time {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Cursor {
            s: s.as_bytes(),
            pos: 0,
            profile: "Time",
            value: s,
        }
        .time()
    }
}

impl FromStr for DateTime {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let mut c = Cursor {
            s: s.as_bytes(),
            pos: 0,
            profile: "DateTime",
            value: s,
        };
        let date = c.date()?;
        c.byte(b'T', "expected 'T' between date and time")?;
        let time = c.time()?;
        if time.tz.is_none() {
            return Err(err("DateTime", s, "the time zone designator is required"));
        }
        Ok(DateTime { date, time })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}:{:02}", self.hour, self.minute, self.second)?;
        if self.frac_digits > 0 {
            let d = u32::from(self.frac_digits.min(9));
            let v = self.nanos / 10u32.pow(9 - d);
            write!(f, ".{:0width$}", v, width = d as usize)?;
        }
        if let Some(tz) = self.tz {
            write!(f, "{tz}")?;
        }
        Ok(())
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}T{}", self.date, self.time)
    }
}

impl Date {
    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(&self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

impl DateTime {
    /// A UTC date-time from seconds since the Unix epoch (whole seconds, `Z`).
    /// `None` outside years 0..=9999.
    pub fn from_unix(secs: i64) -> Option<DateTime> {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        let year = u16::try_from(year).ok().filter(|y| *y <= 9999)?;
        Some(DateTime {
            date: Date { year, month, day },
            time: Time {
                hour: (rem / 3600) as u8,
                minute: (rem / 60 % 60) as u8,
                second: (rem % 60) as u8,
                nanos: 0,
                frac_digits: 0,
                tz: Some(Tz::Utc),
            },
        })
    }

    /// Seconds since 1970-01-01T00:00:00Z (the fraction is dropped).
    pub fn unix_timestamp(&self) -> i64 {
        let t = &self.time;
        self.date.days_since_epoch() * 86_400
            + i64::from(t.hour) * 3600
            + i64::from(t.minute) * 60
            + i64::from(t.second)
            - i64::from(t.tz.map_or(0, Tz::minutes)) * 60
    }
}
