//! JSON text as Spark's JSON functions read it (Jackson with Spark's parser options):
//! objects keep their keys in input order, numbers keep their text, and single-quoted
//! strings (`allowSingleQuotes`, on by default) and unquoted field names
//! (`allowUnquotedFieldNames`) are read when allowed. serde_json sorts keys and rounds
//! numbers, which changed what `json_object_keys` and `get_json_object` answer.

use std::fmt::Write;

/// One parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, its members in input order.
    Object(Vec<(String, Json)>),
}

/// What JSON syntax beyond the standard the reader accepts (Spark's `JSONOptions`).
#[derive(Debug, Clone, Copy)]
pub struct Syntax {
    /// `allowSingleQuotes` (Spark's default: true).
    pub single_quotes: bool,
    /// `allowUnquotedFieldNames` (Spark's default: false).
    pub unquoted_field_names: bool,
}

impl Default for Syntax {
    fn default() -> Self {
        Self { single_quotes: true, unquoted_field_names: false }
    }
}

/// The value `text` holds, or `None` when it is not one JSON value (trailing text after
/// the value is ignored, as Jackson's parser ignores it).
pub fn parse(text: &str, syntax: Syntax) -> Option<Json> {
    let mut reader = Reader { bytes: text.as_bytes(), at: 0, syntax };
    reader.value(0)
}

impl Json {
    /// The value written compactly, as Jackson's generator writes it (`{"a":1,"b":[true]}`).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
            Json::Number(text) => out.push_str(text),
            Json::String(text) => write_string(text, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// Writes `text` as a JSON string, escaping as Jackson does (quotes, backslashes and
/// control characters).
pub fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Nesting deeper than this is read as malformed rather than risking the stack.
const MAX_DEPTH: usize = 1000;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    syntax: Syntax,
}

impl Reader<'_> {
    fn skip_blanks(&mut self) {
        while self.bytes.get(self.at).is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_blanks();
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string(b'"').map(Json::String),
            b'\'' if self.syntax.single_quotes => self.string(b'\'').map(Json::String),
            b'-' | b'0'..=b'9' => self.number(),
            _ => match self.word()? {
                "true" => Some(Json::Bool(true)),
                "false" => Some(Json::Bool(false)),
                "null" => Some(Json::Null),
                _ => None,
            },
        }
    }

    fn object(&mut self, depth: usize) -> Option<Json> {
        self.at += 1;
        let mut members = Vec::new();
        if self.eat(b'}') {
            return Some(Json::Object(members));
        }
        loop {
            let key = match self.peek()? {
                b'"' => self.string(b'"')?,
                b'\'' if self.syntax.single_quotes => self.string(b'\'')?,
                _ if self.syntax.unquoted_field_names => self.word()?.to_string(),
                _ => return None,
            };
            if !self.eat(b':') {
                return None;
            }
            members.push((key, self.value(depth + 1)?));
            if self.eat(b'}') {
                return Some(Json::Object(members));
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Json> {
        self.at += 1;
        let mut items = Vec::new();
        if self.eat(b']') {
            return Some(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            if self.eat(b']') {
                return Some(Json::Array(items));
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    /// A run of identifier characters (a keyword or an unquoted field name).
    fn word(&mut self) -> Option<&str> {
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$') {
            self.at += 1;
        }
        (self.at > start).then(|| std::str::from_utf8(&self.bytes[start..self.at]).ok()).flatten()
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.at;
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        let digits = |reader: &mut Self| {
            let from = reader.at;
            while reader.bytes.get(reader.at).is_some_and(u8::is_ascii_digit) {
                reader.at += 1;
            }
            reader.at > from
        };
        let first = self.bytes.get(self.at).copied();
        if !digits(self) {
            return None;
        }
        // Jackson rejects leading zeros (`allowNumericLeadingZeros` is off by default).
        if first == Some(b'0') && self.at - start > 1 + usize::from(self.bytes[start] == b'-') {
            return None;
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if !digits(self) {
                return None;
            }
        }
        if matches!(self.bytes.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.bytes.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        std::str::from_utf8(&self.bytes[start..self.at]).ok().map(|text| Json::Number(text.to_string()))
    }

    fn string(&mut self, quote: u8) -> Option<String> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            match byte {
                b if b == quote => return String::from_utf8(out).ok(),
                b'\\' => {
                    let escaped = *self.bytes.get(self.at)?;
                    self.at += 1;
                    let c = match escaped {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => self.unicode_escape()?,
                        b'"' | b'\\' | b'/' | b'\'' => escaped as char,
                        _ => return None,
                    };
                    let mut buffer = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                }
                // Jackson rejects raw control characters inside strings.
                b if b < 0x20 => return None,
                b => out.push(b),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let hex = std::str::from_utf8(self.bytes.get(self.at..self.at + 4)?).ok()?;
        self.at += 4;
        u32::from_str_radix(hex, 16).ok()
    }

    fn unicode_escape(&mut self) -> Option<char> {
        let high = self.hex4()?;
        if (0xD800..0xDC00).contains(&high) && self.bytes.get(self.at..self.at + 2) == Some(b"\\u") {
            self.at += 2;
            let low = self.hex4()?;
            return char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low.checked_sub(0xDC00)? & 0x3FF));
        }
        char::from_u32(high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order_and_number_text() {
        let value = parse(r#"{"b": 1.50, "a": [true, null, "x\ny"]}"#, Syntax::default()).unwrap();
        assert_eq!(value.to_text(), r#"{"b":1.50,"a":[true,null,"x\ny"]}"#);
    }

    #[test]
    fn lenient_syntax_only_when_allowed() {
        let strict = Syntax { single_quotes: false, unquoted_field_names: false };
        assert_eq!(parse("{a:123}", Syntax::default()), None);
        assert_eq!(parse("{'a':'x'}", strict), None);
        let unquoted = Syntax { unquoted_field_names: true, ..Syntax::default() };
        assert_eq!(parse("{a:123}", unquoted), Some(Json::Object(vec![("a".into(), Json::Number("123".into()))])));
        assert_eq!(parse("{'a':'x'}", Syntax::default()).unwrap().to_text(), r#"{"a":"x"}"#);
        assert_eq!(parse("01", Syntax::default()), None);
        assert_eq!(parse(r#""\ud83d\ude00""#, Syntax::default()), Some(Json::String("😀".into())));
    }
}
