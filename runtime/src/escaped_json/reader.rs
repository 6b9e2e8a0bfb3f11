//! A cursor over a JSON document held in a JSON string's escaped text.

use serde::de::Visitor;

use super::{GaveUp, MAX_DEPTH};
use crate::scan;

/// The JSON type of the value about to be read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

/// A cursor over the escaped text. The document's characters are the
/// string's characters: a plain byte stands for itself, `\"` for `"`, `\\`
/// for `\`, and so on.
pub(super) struct Reader<'r> {
    text: &'r str,
    at: usize,
    depth: usize,
    /// A string of the document that had escapes, decoded.
    scratch: String,
}

/// A string of the document: borrowed when its text has no escape at all.
pub(super) enum Text<'r> {
    Borrowed(&'r str),
    Decoded,
}

impl<'r> Reader<'r> {
    pub(super) fn new(text: &'r str) -> Self {
        Reader { text, at: 0, depth: 0, scratch: String::new() }
    }

    /// `true` once only whitespace is left before the string's closing
    /// quote.
    pub(super) fn at_end(&mut self) -> bool {
        self.skip_whitespace();
        self.text.as_bytes().get(self.at) == Some(&b'"')
    }

    /// The string [`Reader::string`] decoded last.
    pub(super) fn decoded(&self) -> &str {
        &self.scratch
    }

    /// The document's character at `at` (as a byte: the structural ones
    /// are ASCII) and how many bytes of escaped text it takes; `None` for a
    /// `\u` escape, the string's closing quote, or the end of the text.
    fn unit_at(&self, at: usize) -> Option<(u8, usize)> {
        let bytes = self.text.as_bytes();
        match *bytes.get(at)? {
            b'"' => None,
            b'\\' => {
                let byte = match *bytes.get(at + 1)? {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    _ => return None,
                };
                Some((byte, 2))
            }
            byte => Some((byte, 1)),
        }
    }

    fn skip_whitespace(&mut self) {
        while let Some((b' ' | b'\n' | b'\r' | b'\t', width)) = self.unit_at(self.at) {
            self.at += width;
        }
    }

    /// Skips whitespace and consumes `expected`.
    pub(super) fn expect(&mut self, expected: u8) -> Result<(), GaveUp> {
        self.skip_whitespace();
        match self.unit_at(self.at) {
            Some((byte, width)) if byte == expected => {
                self.at += width;
                Ok(())
            }
            _ => Err(GaveUp),
        }
    }

    /// Skips whitespace and tells which JSON type comes next.
    pub(super) fn peek_kind(&mut self) -> Result<Kind, GaveUp> {
        self.skip_whitespace();
        match self.unit_at(self.at).ok_or(GaveUp)?.0 {
            b'n' => Ok(Kind::Null),
            b't' | b'f' => Ok(Kind::Bool),
            b'-' | b'0'..=b'9' => Ok(Kind::Number),
            b'"' => Ok(Kind::String),
            b'[' => Ok(Kind::Array),
            b'{' => Ok(Kind::Object),
            _ => Err(GaveUp),
        }
    }

    /// Consumes the literal `word` (plain text: `true`, `false`, `null`).
    pub(super) fn literal(&mut self, word: &str) -> Result<(), GaveUp> {
        let rest = self.text.get(self.at..).ok_or(GaveUp)?;
        rest.starts_with(word).then_some(()).ok_or(GaveUp)?;
        self.at += word.len();
        Ok(())
    }

    /// Reads the string whose opening quote (`\"`) is next.
    pub(super) fn string(&mut self) -> Result<Text<'r>, GaveUp> {
        self.expect(b'"')?;
        let start = self.at;
        let bytes = self.text.as_bytes();
        let first = start + memchr::memchr2(b'\\', b'"', bytes.get(start..).ok_or(GaveUp)?).ok_or(GaveUp)?;
        if bytes.get(first) == Some(&b'\\') && bytes.get(first + 1) == Some(&b'"') {
            // No escape before the closing quote: no escape in the string
            // and no control character either (the escaped text has none
            // unescaped), so it is the string's text as it is.
            self.at = first + 2;
            return self.text.get(start..first).map(Text::Borrowed).ok_or(GaveUp);
        }
        self.scratch.clear();
        self.at = start;
        self.decode_string()?;
        Ok(Text::Decoded)
    }

    /// Decodes the rest of a string with escapes into `scratch`, up to and
    /// past its closing quote.
    fn decode_string(&mut self) -> Result<(), GaveUp> {
        loop {
            let bytes = self.text.as_bytes();
            let at = self.at;
            let escape = at + memchr::memchr2(b'\\', b'"', bytes.get(at..).ok_or(GaveUp)?).ok_or(GaveUp)?;
            if bytes.get(escape) == Some(&b'"') {
                // The end of the text holding the document, inside one of its strings.
                return Err(GaveUp);
            }
            self.scratch.push_str(self.text.get(at..escape).ok_or(GaveUp)?);
            match bytes.get(escape + 1).ok_or(GaveUp)? {
                b'"' => {
                    self.at = escape + 2;
                    return Ok(());
                }
                b'/' => {
                    self.scratch.push('/');
                    self.at = escape + 2;
                }
                // A `\u` escape of the document (a `\` written `\\`).
                b'\\' if bytes.get(escape + 2) == Some(&b'u') => {
                    let (decoded, width) =
                        scan::unicode_escape_written(self.text.get(escape..).ok_or(GaveUp)?, "\\\\u")
                            .ok_or(GaveUp)?;
                    self.scratch.push(decoded);
                    self.at = escape + width;
                }
                // A `\` of the document: its escape follows.
                b'\\' => {
                    let (escaped, width) = self.unit_at(escape + 2).ok_or(GaveUp)?;
                    let decoded = match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        _ => return Err(GaveUp),
                    };
                    self.scratch.push(decoded);
                    self.at = escape + 2 + width;
                }
                b'u' => {
                    // A character escaped in the string's own text.
                    let (decoded, width) =
                        scan::unicode_escape(self.text.get(escape..).ok_or(GaveUp)?).ok_or(GaveUp)?;
                    if decoded < ' ' || decoded == '"' || decoded == '\\' {
                        // A control character inside a string (serde_json
                        // refuses it), or the document's own quote or
                        // backslash written as a `\u` escape (ending the
                        // string or starting an escape): left to serde_json.
                        return Err(GaveUp);
                    }
                    self.scratch.push(decoded);
                    self.at = escape + width;
                }
                // `\n`, `\t`, ... would put a control character in the string.
                _ => return Err(GaveUp),
            }
        }
    }

    /// The text of the number that starts here (its characters are all
    /// plain).
    pub(super) fn number_text(&mut self) -> &'r str {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut end = start;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = bytes.get(end) {
            end += 1;
        }
        self.at = end;
        self.text.get(start..end).unwrap_or_default()
    }

    /// Reads an array or object, whose opening bracket is next, with
    /// `read`, and its closing bracket `close`.
    pub(super) fn nested<T>(
        &mut self,
        close: u8,
        read: impl FnOnce(&mut Self) -> Result<T, GaveUp>,
    ) -> Result<T, GaveUp> {
        if self.depth >= MAX_DEPTH {
            return Err(GaveUp);
        }
        self.depth += 1;
        self.at += 1;
        let value = read(self)?;
        self.depth -= 1;
        self.expect(close)?;
        Ok(value)
    }

    /// Before an element or member: the separator, or `None` at the end.
    pub(super) fn next_item(&mut self, first: &mut bool, close: u8) -> Result<Option<()>, GaveUp> {
        self.skip_whitespace();
        match self.unit_at(self.at) {
            Some((byte, _)) if byte == close => Ok(None),
            Some((b',', 1)) if !*first => {
                self.at += 1;
                Ok(Some(()))
            }
            Some(_) if *first => {
                *first = false;
                Ok(Some(()))
            }
            _ => Err(GaveUp),
        }
    }
}

/// How serde_json reads a number for one deserializer method.
pub(super) type ByJson<'r, V> = fn(
    &mut serde_json::Deserializer<serde_json::de::StrRead<'r>>,
    V,
) -> Result<<V as Visitor<'r>>::Value, serde_json::Error>;

/// A number, as serde_json reads it: a plain non-negative integer that fits
/// in 64 bits directly, when `plain_too` (serde_json hands such an integer to
/// `visit_u64` for every method but the 128-bit ones), anything else by
/// serde_json itself, with the same method (`by_json`).
pub(super) fn number<'r, V: Visitor<'r>>(
    text: &'r str,
    visitor: V,
    plain_too: bool,
    by_json: ByJson<'r, V>,
) -> Result<V::Value, GaveUp> {
    let plain = plain_too
        && text.len() <= 19
        && text.bytes().all(|byte| byte.is_ascii_digit())
        && (text.len() == 1 || !text.starts_with('0'));
    if let Some(value) = plain.then(|| text.parse::<u64>().ok()).flatten() {
        return visitor.visit_u64(value);
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = by_json(&mut deserializer, visitor).map_err(|_| GaveUp)?;
    deserializer.end().map_err(|_| GaveUp)?;
    Ok(value)
}
