//! Spark's datetime patterns (`yyyy-MM-dd HH:mm:ss`, the `DateTimeFormatter` letters of
//! Spark's "Datetime Patterns" page) as chrono's `strftime` items, and the parsing of a
//! text with one the way Spark's `to_timestamp` does: fields the pattern leaves out
//! default to 1970-01-01 00:00:00.

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, NaiveDateTime, TimeZone};
use datafusion::common::{Result, plan_err};

/// The chrono `strftime` pattern that formats and parses as Spark's `pattern` does.
/// Letters Spark reserves but chrono cannot express are an error naming the letter.
pub fn to_strftime(pattern: &str) -> Result<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // 'text' is literal text; '' is a quote.
            let mut j = i + 1;
            if chars.get(j) == Some(&'\'') {
                out.push('\'');
                i = j + 1;
                continue;
            }
            while j < chars.len() {
                if chars[j] == '\'' {
                    if chars.get(j + 1) == Some(&'\'') {
                        out.push('\'');
                        j += 2;
                        continue;
                    }
                    break;
                }
                push_literal(&mut out, chars[j]);
                j += 1;
            }
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            push_literal(&mut out, c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&other| other == c).count();
        out.push_str(field(c, run, pattern)?);
        i += run;
    }
    Ok(out)
}

/// The chrono item for `run` repetitions of Spark's pattern letter `letter`.
fn field(letter: char, run: usize, pattern: &str) -> Result<&'static str> {
    Ok(match (letter, run) {
        ('y' | 'u', 2) => "%y",
        ('y' | 'u', _) => "%Y",
        ('Y', 2) => "%g",
        ('Y', _) => "%G",
        ('M' | 'L', 1) => "%-m",
        ('M' | 'L', 2) => "%m",
        ('M' | 'L', 3) => "%b",
        ('M' | 'L', 4) => "%B",
        ('d', 1) => "%-d",
        ('d', 2) => "%d",
        ('D', 1 | 2) => "%-j",
        ('D', 3) => "%j",
        ('H', 1) => "%-H",
        ('H', 2) => "%H",
        ('h', 1) => "%-I",
        ('h', 2) => "%I",
        ('m', 1) => "%-M",
        ('m', 2) => "%M",
        ('s', 1) => "%-S",
        ('s', 2) => "%S",
        ('S', 3) => "%3f",
        ('S', 6) => "%6f",
        ('S', 9) => "%9f",
        ('a', 1) => "%p",
        ('E', 1..=3) => "%a",
        ('E', 4) => "%A",
        ('z', 1..=3) => "%Z",
        ('Z', 1..=3) | ('x', 2) | ('X', 2) => "%z",
        ('x' | 'X', 3) | ('Z', 5) => "%:z",
        _ => {
            let letters: String = std::iter::repeat_n(letter, run).collect();
            return plan_err!(
                "[INVALID_DATETIME_PATTERN] '{letters}' in the datetime pattern '{pattern}' is not supported; see Spark's Datetime Patterns page for the letters it takes"
            );
        }
    })
}

fn push_literal(out: &mut String, c: char) {
    match c {
        '%' => out.push_str("%%"),
        c => out.push(c),
    }
}

/// A Spark datetime pattern ready to parse texts with.
#[derive(Debug)]
pub struct Pattern {
    items: Vec<Item<'static>>,
}

impl Pattern {
    /// Spark's `pattern`, compiled.
    pub fn new(pattern: &str) -> Result<Self> {
        let strftime = to_strftime(pattern)?;
        match StrftimeItems::new(&strftime).parse_to_owned() {
            Ok(items) => Ok(Self { items }),
            Err(e) => plan_err!("[INVALID_DATETIME_PATTERN] the datetime pattern '{pattern}' is not valid: {e}"),
        }
    }

    /// `text` read with this pattern as an instant, a local time in `zone` unless the
    /// pattern reads an offset; `None` when the text does not match (Spark's NULL).
    pub fn parse_instant<Z: TimeZone>(&self, text: &str, zone: &Z) -> Option<DateTime<Z>> {
        let parsed = self.parsed(text)?;
        match parsed.offset() {
            Some(_) => parsed.to_datetime().ok().map(|t| t.with_timezone(zone)),
            None => local_instant(&parsed.to_naive_datetime_with_offset(0).ok()?, zone),
        }
    }

    /// `text` read with this pattern as a local date and time, any offset ignored.
    pub fn parse_local(&self, text: &str) -> Option<NaiveDateTime> {
        self.parsed(text)?.to_naive_datetime_with_offset(0).ok()
    }

    /// The fields of `text`, with Spark's defaults for those the pattern has not.
    fn parsed(&self, text: &str) -> Option<Parsed> {
        let mut parsed = Parsed::new();
        chrono::format::parse(&mut parsed, text, self.items.iter()).ok()?;
        if parsed.year().is_none() && parsed.year_mod_100().is_none() && parsed.isoyear().is_none() {
            parsed.set_year(1970).ok()?;
        }
        let by_ordinal = parsed.ordinal().is_some() || parsed.isoweek().is_some();
        if parsed.month().is_none() && !by_ordinal {
            parsed.set_month(1).ok()?;
        }
        if parsed.day().is_none() && !by_ordinal {
            parsed.set_day(1).ok()?;
        }
        match (parsed.hour_div_12(), parsed.hour_mod_12()) {
            (None, None) => parsed.set_hour(0).ok()?,
            (None, Some(_)) => parsed.set_ampm(false).ok()?,
            _ => {}
        }
        if parsed.minute().is_none() {
            parsed.set_minute(0).ok()?;
        }
        Some(parsed)
    }
}

/// The instant a wall-clock time in `zone` names; in a gap (a clock moving forward),
/// the time an hour later, as Java's `ZonedDateTime.of` resolves it.
pub fn local_instant<Z: TimeZone>(local: &NaiveDateTime, zone: &Z) -> Option<DateTime<Z>> {
    zone.from_local_datetime(local)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(*local + chrono::Duration::hours(1))).earliest())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    /// Patterns from Spark's docs of `date_format`, `to_timestamp` and `from_unixtime`.
    #[test]
    fn spark_patterns_as_strftime() {
        let strftime = |p: &str| to_strftime(p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(strftime("yyyy-MM-dd HH:mm:ss"), "%Y-%m-%d %H:%M:%S");
        assert_eq!(strftime("MM/dd/yyyy"), "%m/%d/%Y");
        assert_eq!(strftime("yy=MM=dd HH=mm=ss"), "%y=%m=%d %H=%M=%S");
        assert_eq!(strftime("yyyy-MM-dd'T'HH:mm:ss.SSS"), "%Y-%m-%dT%H:%M:%S.%3f");
        assert_eq!(strftime("EEE, d MMM ''yy '%'"), "%a, %-d %b '%y %%");
        assert!(to_strftime("yyyy-qq").is_err());
    }

    #[test]
    fn parses_with_spark_defaults() {
        let parse = |pattern: &str, text: &str| {
            let pattern = Pattern::new(pattern).unwrap_or_else(|e| panic!("{e}"));
            pattern.parse_instant(text, &Utc).map(|t| t.to_rfc3339())
        };
        assert_eq!(parse("yyyy-MM-dd HH:mm:ss", "1997-02-28 10:30:00").as_deref(), Some("1997-02-28T10:30:00+00:00"));
        assert_eq!(parse("yyyy-MM-dd", "2016-12-31").as_deref(), Some("2016-12-31T00:00:00+00:00"));
        assert_eq!(parse("yyyy", "2016").as_deref(), Some("2016-01-01T00:00:00+00:00"));
        assert_eq!(parse("yyyy-MM-dd HH:mm:ssXXX", "2016-12-31 10:00:00+02:00").as_deref(), Some("2016-12-31T08:00:00+00:00"));
        assert_eq!(parse("yyyy-MM-dd", "2016-12-31 10:00:00"), None);
        assert_eq!(parse("yyyy-MM-dd", "not a date"), None);
    }
}
