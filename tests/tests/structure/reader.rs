//! Source text as tokens: comments and literals blanked, `#[cfg(test)]`
//! items dropped, functions found.

pub(super) struct Function {
    pub(super) name: String,
    /// The line of its `fn`.
    pub(super) line: usize,
    /// From the line of `fn` to the line of the body's closing brace.
    pub(super) lines: usize,
}

/// Every function with a body.
pub(super) fn functions(tokens: &[Token]) -> Vec<Function> {
    let mut found = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if token.text != "fn" || !is_name(text(tokens, i + 1)) {
            continue;
        }
        let mut nesting = 0i32;
        for j in i + 2..tokens.len() {
            match tokens[j].text.as_str() {
                "(" | "[" => nesting += 1,
                ")" | "]" => nesting -= 1,
                ";" if nesting == 0 => break,
                "{" if nesting == 0 => {
                    let end = matching_brace(tokens, j);
                    let name = tokens[i + 1].text.clone();
                    found.push(Function { name, line: token.line, lines: tokens[end].line - token.line + 1 });
                    break;
                }
                _ => {}
            }
        }
    }
    found
}

pub(super) struct Token {
    pub(super) text: String,
    pub(super) line: usize,
}

/// The text of the token at `i`, or `""` past either end.
pub(super) fn text(tokens: &[Token], i: usize) -> &str {
    tokens.get(i).map_or("", |token| token.text.as_str())
}

pub(super) fn is_name(text: &str) -> bool {
    text.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

/// Words, `::`, and single punctuation characters, with their line.
pub(super) fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        i += 1;
        if c == '\n' {
            line += 1;
        } else if c.is_alphanumeric() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token { text: chars[start..i].iter().collect(), line });
        } else if c == ':' && chars.get(i) == Some(&':') {
            i += 1;
            tokens.push(Token { text: "::".to_owned(), line });
        } else if !c.is_whitespace() {
            tokens.push(Token { text: c.to_string(), line });
        }
    }
    tokens
}

/// The source with comments and the insides of string and char literals
/// replaced by spaces (line breaks kept).
pub(super) fn blank_comments_and_literals(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let after_word = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        let end = match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('/')) => (i..chars.len()).find(|&j| chars[j] == '\n').unwrap_or(chars.len()),
            ('/', Some('*')) => block_comment_end(&chars, i),
            ('"', _) => string_end(&chars, i + 1),
            ('r' | 'b', _) if !after_word && raw_string_start(&chars, i).is_some() => {
                let (quote, hashes) = raw_string_start(&chars, i).unwrap_or((i, 0));
                raw_string_end(&chars, quote + 1, hashes)
            }
            ('\'', Some('\\')) => {
                (i + 3..chars.len()).find(|&j| chars[j] == '\'').map_or(chars.len(), |j| j + 1)
            }
            ('\'', Some(_)) if chars.get(i + 2) == Some(&'\'') => i + 3,
            (c, _) => {
                out.push(c);
                i += 1;
                continue;
            }
        };
        out.extend(chars[i..end].iter().map(|&c| blank(c)));
        i = end;
    }
    out
}

/// Just past the `*/` closing the (nested) block comment opened at `at`.
pub(super) fn block_comment_end(chars: &[char], at: usize) -> usize {
    let (mut depth, mut i) = (0, at);
    while i + 1 < chars.len() {
        match (chars[i], chars[i + 1]) {
            ('/', '*') => (depth, i) = (depth + 1, i + 2),
            ('*', '/') if depth == 1 => return i + 2,
            ('*', '/') => (depth, i) = (depth - 1, i + 2),
            _ => i += 1,
        }
    }
    chars.len()
}

/// Just past the `"` closing a string whose text starts at `from`.
pub(super) fn string_end(chars: &[char], from: usize) -> usize {
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// For `r"`, `r#"`, `br##"`...: the index of the quote and the number of `#`.
pub(super) fn raw_string_start(chars: &[char], at: usize) -> Option<(usize, usize)> {
    let mut i = at;
    if chars.get(i) == Some(&'b') {
        i += 1;
    }
    if chars.get(i) != Some(&'r') {
        return None;
    }
    i += 1;
    let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
    (chars.get(i + hashes) == Some(&'"')).then_some((i + hashes, hashes))
}

/// Just past the `"#...` closing a raw string whose text starts at `from`.
pub(super) fn raw_string_end(chars: &[char], from: usize, hashes: usize) -> usize {
    (from..chars.len())
        .find(|&i| {
            chars[i] == '"' && chars[i + 1..].iter().take(hashes).filter(|&&c| c == '#').count() == hashes
        })
        .map_or(chars.len(), |i| i + 1 + hashes)
}

/// The tokens without `#[cfg(test)]` items, and the names of the modules
/// declared `#[cfg(test)] mod name;` (test-only files).
pub(super) fn without_test_items(tokens: Vec<Token>) -> (Vec<Token>, Vec<String>) {
    const CFG_TEST: [&str; 7] = ["#", "[", "cfg", "(", "test", ")", "]"];
    let mut dropped = Vec::new();
    let mut test_modules = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let is_cfg_test = CFG_TEST.iter().enumerate().all(|(k, expected)| text(&tokens, i + k) == *expected);
        if !is_cfg_test {
            i += 1;
            continue;
        }
        let start = i;
        i += CFG_TEST.len();
        while text(&tokens, i) == "#" && text(&tokens, i + 1) == "[" {
            i = matching(&tokens, i + 1, "[", "]") + 1;
        }
        let item = i;
        let mut nesting = 0i32;
        while i < tokens.len() {
            match tokens[i].text.as_str() {
                "(" | "[" => nesting += 1,
                ")" | "]" => nesting -= 1,
                ";" if nesting == 0 => break,
                "{" if nesting == 0 => {
                    i = matching_brace(&tokens, i);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let words: Vec<&str> = tokens[item..i.min(tokens.len())].iter().map(|t| t.text.as_str()).collect();
        if let [.., "mod", name] = words.as_slice() {
            test_modules.push((*name).to_owned());
        }
        dropped.push(start..=i);
        i += 1;
    }
    let tokens = tokens
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !dropped.iter().any(|r| r.contains(i)))
        .map(|(_, t)| t)
        .collect();
    (tokens, test_modules)
}

/// The index of the `}` closing the `{` at `open` (the last token if none).
pub(super) fn matching_brace(tokens: &[Token], open: usize) -> usize {
    matching(tokens, open, "{", "}")
}

pub(super) fn matching(tokens: &[Token], open: usize, opening: &str, closing: &str) -> usize {
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        if token.text == opening {
            depth += 1;
        } else if token.text == closing {
            depth -= 1;
            if depth == 0 {
                return i;
            }
        }
    }
    tokens.len().saturating_sub(1)
}
