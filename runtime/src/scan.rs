//! A small scanner for JSON text that serde_json has already validated.
//!
//! Records arrive as raw JSON (`RawValue`): valid by construction. Reading a
//! few keys of such a record with serde means a full pass over it,
//! including its escaped body; this scanner walks the members of an object
//! one by one and stops as soon as the caller has what it needs, and jumps
//! over strings with `memchr`. It never panics: on text that is not what it
//! expects it reports `None`, and the caller treats the record as
//! unreadable.

use std::borrow::Cow;

/// The members of a JSON object, in order, as `(key, value text)`.
///
/// Iteration stops at the end of the object, or early with
/// [`Members::is_broken`] set if the text is not a well-formed object.
#[derive(Debug, Clone)]
pub(crate) struct Members<'t> {
    text: &'t str,
    position: usize,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    First,
    Next,
    Done,
    Broken,
}

impl<'t> Members<'t> {
    /// The members of `text`, or `None` if it is not a JSON object.
    pub(crate) fn of(text: &'t str) -> Option<Self> {
        let start = skip_whitespace(text.as_bytes(), 0);
        (text.as_bytes().get(start) == Some(&b'{')).then_some(Members {
            text,
            position: start + 1,
            state: State::First,
        })
    }

    /// `true` if iteration stopped on text that is not a well-formed object.
    #[cfg(test)]
    pub(crate) fn is_broken(&self) -> bool {
        self.state == State::Broken
    }

    /// Reads the next key and moves to the start of its value.
    fn key(&mut self) -> Option<Key<'t>> {
        let bytes = self.text.as_bytes();
        let mut at = skip_whitespace(bytes, self.position);
        match (self.state, bytes.get(at)?) {
            (_, b'}') => {
                self.state = State::Done;
                return None;
            }
            (State::Next, b',') => at = skip_whitespace(bytes, at + 1),
            (State::First, _) => {}
            _ => return None,
        }
        let key_end = string_end(bytes, at)?;
        let key = Key(self.text.get(at..key_end)?);
        let colon = skip_whitespace(bytes, key_end);
        (bytes.get(colon)? == &b':').then_some(())?;
        self.position = skip_whitespace(bytes, colon + 1);
        self.state = State::Next;
        Some(key)
    }

    /// Reads the value at the current position and moves past it.
    fn value(&mut self) -> Option<&'t str> {
        let start = self.position;
        self.position = value_end(self.text.as_bytes(), start)?;
        self.text.get(start..self.position)
    }

    fn member(&mut self) -> Option<(Key<'t>, &'t str)> {
        let key = self.key()?;
        Some((key, self.value()?))
    }

    /// The value of the first member named `name`. A string value is
    /// decoded in the same pass that finds its end (a record's body is
    /// most of the record, and has an escape every few bytes when it is
    /// JSON itself).
    pub(crate) fn find_decoded(mut self, name: &str) -> Option<Found<'t>> {
        loop {
            let key = self.key()?;
            if key.is(name) {
                if self.text.as_bytes().get(self.position) == Some(&b'"') {
                    return Some(match decode_string(self.text, self.position) {
                        Some((text, _)) => Found::String(text),
                        None => Found::Undecodable,
                    });
                }
                return self.value().map(Found::Other);
            }
            self.value()?;
        }
    }
}

impl<'t> Members<'t> {
    /// The text from the start of the first member `name`'s value to the
    /// end of the object's text, found without reading that value (for a
    /// reader that finds the value's end itself).
    pub(crate) fn find_from(mut self, name: &str) -> Option<&'t str> {
        loop {
            if self.key()?.is(name) {
                return self.text.get(self.position..);
            }
            self.value()?;
        }
    }
}

/// A value found by [`Members::find_decoded`].
#[derive(Debug)]
pub(crate) enum Found<'t> {
    /// A string, decoded.
    String(Cow<'t, str>),
    /// A string with an escape that is no character (a lone surrogate).
    Undecodable,
    /// Any other value, as JSON text.
    Other(&'t str),
}

impl<'t> Iterator for Members<'t> {
    type Item = (Key<'t>, &'t str);

    fn next(&mut self) -> Option<Self::Item> {
        if matches!(self.state, State::Done | State::Broken) {
            return None;
        }
        let member = self.member();
        if member.is_none() && self.state != State::Done {
            self.state = State::Broken;
        }
        member
    }
}

/// An object key as written, with its quotes (escapes not yet decoded).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key<'t>(&'t str);

impl Key<'_> {
    /// `true` if the key is `name` once decoded.
    pub(crate) fn is(self, name: &str) -> bool {
        let written = self.0.get(1..self.0.len().saturating_sub(1)).unwrap_or_default();
        // An escape takes at least two bytes for one character, so a key
        // written with escapes is longer than the name it decodes to.
        match written.len().cmp(&name.len()) {
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => written == name,
            std::cmp::Ordering::Greater => {
                written.contains('\\') && string(self.0).is_some_and(|key| key == name)
            }
        }
    }
}

/// The JSON type of a value's text, from its first character.
pub(crate) fn json_type(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "boolean",
        _ => "number",
    }
}

/// The string a JSON string value's text stands for, borrowed when it has
/// no escapes; `None` if the value is not a string.
pub(crate) fn string(value: &str) -> Option<Cow<'_, str>> {
    match decode_string(value, 0)? {
        (text, end) if end == value.len() => Some(text),
        _ => None,
    }
}

/// Decodes the JSON string whose opening quote is at `start`: the string
/// (borrowed when it has no escapes) and the index just past its closing
/// quote. `None` if there is no string there, or an escape is invalid.
///
/// Up to the first escape it is one vectorized search; from there a plain
/// byte loop into a buffer of the largest size the string can have.
fn decode_string(text: &str, start: usize) -> Option<(Cow<'_, str>, usize)> {
    let bytes = text.as_bytes();
    (bytes.get(start)? == &b'"').then_some(())?;
    let contents = start + 1;
    let first = contents + memchr::memchr2(b'"', b'\\', bytes.get(contents..)?)?;
    if bytes.get(first)? == &b'"' {
        return Some((Cow::Borrowed(text.get(contents..first)?), first + 1));
    }
    let mut out = vec![0u8; bytes.len() - contents];
    let prefix = first - contents;
    out.get_mut(..prefix)?.copy_from_slice(bytes.get(contents..first)?);
    let (read, written) = decode_escaped(text, first, &mut out, prefix)?;
    out.truncate(written);
    Some((Cow::Owned(String::from_utf8(out).ok()?), read + 1))
}

/// The byte loop of [`decode_string`], from `read` in `text` (at an escape)
/// and `written` in `out`: where the closing quote is, and how many bytes
/// were written. Kept apart, with plain locals, so they stay in registers.
/// Two word-at-a-time variants (copying eight plain bytes at once, and
/// dropping the backslashes of `\"` from a word without branches) were
/// not faster on escape-dense JSON bodies: the mispredicted branch at each
/// escape dominates either way.
fn decode_escaped(text: &str, mut read: usize, out: &mut [u8], mut written: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    while read < bytes.len() {
        let byte = bytes[read];
        if byte == b'"' {
            return Some((read, written));
        }
        if byte == b'\\' {
            let escaped = *bytes.get(read + 1)?;
            if matches!(escaped, b'"' | b'\\' | b'/') {
                // The escapes of a JSON body: no table lookup.
                *out.get_mut(written)? = escaped;
                written += 1;
                read += 2;
                continue;
            }
            let (decoded, used) = escape(text, read)?;
            let encoded = decoded.encode_utf8(out.get_mut(written..)?.get_mut(..decoded.len_utf8())?).len();
            written += encoded;
            read += used;
            continue;
        }
        *out.get_mut(written)? = byte;
        written += 1;
        read += 1;
    }
    None
}

/// The escape at `at` in `text`: the character and how many bytes it took.
fn escape(text: &str, at: usize) -> Option<(char, usize)> {
    let decoded = match text.as_bytes().get(at + 1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'n' => '\n',
        b't' => '\t',
        b'r' => '\r',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'u' => return unicode_escape(text.get(at..)?),
        _ => return None,
    };
    Some((decoded, 2))
}

/// A `\uXXXX` escape (or a surrogate pair of two) at the start of `text`:
/// the character and how many bytes it took. Lone surrogates are rejected,
/// as serde_json rejects them.
pub(crate) fn unicode_escape(text: &str) -> Option<(char, usize)> {
    unicode_escape_written(text, "\\u")
}

/// A `\uXXXX` escape (or a surrogate pair of two) whose `\u` is written
/// `prefix` (a JSON document held in a JSON string's escaped text writes
/// it `\\u`), at the start of `text`: the character and how many bytes it
/// took. Lone surrogates are rejected, as serde_json rejects them.
pub(crate) fn unicode_escape_written(text: &str, prefix: &str) -> Option<(char, usize)> {
    let width = prefix.len() + 4;
    let unit = |at: usize| -> Option<u32> { hex_digits(text.get(at..at + width)?.strip_prefix(prefix)?) };
    let first = unit(0)?;
    match first {
        0xD800..=0xDBFF => {
            let second = unit(width).filter(|low| (0xDC00..=0xDFFF).contains(low))?;
            let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            Some((char::from_u32(code)?, 2 * width))
        }
        _ => Some((char::from_u32(first)?, width)),
    }
}

/// The value of the hexadecimal digits `digits` (`from_str_radix` alone
/// would also take a sign).
fn hex_digits(digits: &str) -> Option<u32> {
    digits.bytes().all(|byte| byte.is_ascii_hexdigit()).then(|| u32::from_str_radix(digits, 16).ok())?
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(at) {
        at += 1;
    }
    at
}

/// The index just past the string whose opening quote is at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    (bytes.get(start)? == &b'"').then_some(())?;
    let mut at = start + 1;
    // Keys and ids are short: look at them byte by byte before paying for
    // a vectorized search.
    for _ in 0..24 {
        match bytes.get(at)? {
            b'"' => return Some(at + 1),
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
    loop {
        at += memchr::memchr2(b'"', b'\\', bytes.get(at..)?)?;
        if bytes[at] == b'"' {
            return Some(at + 1);
        }
        at += 2;
    }
}

/// The index just past the value that starts at `start`.
fn value_end(bytes: &[u8], start: usize) -> Option<usize> {
    match bytes.get(start)? {
        b'"' => string_end(bytes, start),
        b'{' | b'[' => container_end(bytes, start),
        _ => {
            let mut at = start;
            while !matches!(bytes.get(at), None | Some(b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')) {
                at += 1;
            }
            (at > start).then_some(at)
        }
    }
}

/// The index just past the object or array that starts at `start`.
fn container_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = start;
    loop {
        match bytes.get(at)? {
            b'"' => {
                at = string_end(bytes, at)?;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(at + 1);
                }
            }
            _ => {}
        }
        at += 1;
    }
}

#[cfg(test)]
mod tests;
