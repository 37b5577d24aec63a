//! feedparser's `Expect:` lines, read as far as newsdesk keeps what they
//! name: each conjunct of the Python expression becomes a [`Check`] on one
//! stored field, or is counted as not mapped (channel fields, `bozo`,
//! detected encoding names, authors, enclosures: newsdesk keeps none).

/// What newsdesk stores of an entry, as an expectation names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Count,
    Title,
    Link,
    Summary,
    Content,
    Id,
    Published,
    Updated,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Count => "len(entries)",
            Field::Title => "title",
            Field::Link => "link",
            Field::Summary => "summary",
            Field::Content => "content",
            Field::Id => "id",
            Field::Published => "published",
            Field::Updated => "updated",
        }
    }
}

/// The value an expectation wants.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(i64),
    /// `time.struct_time` as a tuple: year, month, day, hour, minute, second
    /// (UTC), then weekday, day of year, DST flag.
    Time(Vec<i64>),
}

/// One mapped conjunct: entry `entry` (None for `len(entries)`) has `field`
/// equal to `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub entry: usize,
    pub field: Field,
    pub value: Value,
    /// The conjunct as written, for the failure listing.
    pub source: String,
}

/// The conjuncts of one `Expect:` line: the mapped ones and how many were not.
#[derive(Debug, Default)]
pub struct Expectations {
    pub checks: Vec<Check>,
    pub unmapped: usize,
}

/// Reads an `Expect:` expression.
pub fn read(expression: &str) -> Expectations {
    let mut found = Expectations::default();
    let Some(tokens) = tokenize(expression) else {
        found.unmapped += 1;
        return found;
    };
    for conjunct in split_and(&tokens) {
        let text = render(conjunct);
        match map_conjunct(strip_parens(conjunct)) {
            Some(checks) => found
                .checks
                .extend(checks.into_iter().map(|(entry, field, value)| Check {
                    entry,
                    field,
                    value,
                    source: text.clone(),
                })),
            None => found.unmapped += 1,
        }
    }
    found
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Str(String),
    Int(i64),
    Float,
    Name(String),
    Punct(&'static str),
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let prefixed_quote = matches!(c, 'u' | 'U' | 'r' | 'R' | 'b' | 'B')
            && matches!(chars.get(i + 1), Some('\'' | '"'));
        if c == '\'' || c == '"' || prefixed_quote {
            let raw = matches!(c, 'r' | 'R');
            if prefixed_quote {
                i += 1;
            }
            let (text, next) = python_string(&chars, i, raw)?;
            tokens.push(Token::Str(text));
            i = next;
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let number: String = chars[start..i].iter().collect();
            tokens.push(match number.parse() {
                Ok(n) => Token::Int(n),
                Err(_) => Token::Float,
            });
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Name(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let punct = ["==", "!=", "<=", ">="]
                .into_iter()
                .find(|p| *p == two)
                .or_else(|| {
                    [
                        "[", "]", "(", ")", ".", ",", "+", "{", "}", ":", "<", ">", "-", "*", "%",
                    ]
                    .into_iter()
                    .find(|p| p.starts_with(c))
                })?;
            i += punct.len();
            tokens.push(Token::Punct(punct));
        }
    }
    Some(tokens)
}

/// A Python string literal starting at the quote `chars[at]`; the text and
/// the index after it.
fn python_string(chars: &[char], at: usize, raw: bool) -> Option<(String, usize)> {
    let quote = chars[at];
    let mut out = String::new();
    let mut i = at + 1;
    while i < chars.len() {
        let c = chars[i];
        if c == quote {
            return Some((out, i + 1));
        }
        if c != '\\' || raw {
            out.push(c);
            i += 1;
            continue;
        }
        let escaped = *chars.get(i + 1)?;
        i += 2;
        let hex = |i: usize, n: usize| -> Option<char> {
            let digits: String = chars.get(i..i + n)?.iter().collect();
            char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
        };
        match escaped {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            '\n' => {}
            'x' => {
                out.push(hex(i, 2)?);
                i += 2;
            }
            'u' => {
                out.push(hex(i, 4)?);
                i += 4;
            }
            'U' => {
                out.push(hex(i, 8)?);
                i += 8;
            }
            '\\' | '\'' | '"' => out.push(escaped),
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    None
}

fn split_and(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Punct("(" | "[" | "{") => depth += 1,
            Token::Punct(")" | "]" | "}") => depth -= 1,
            Token::Name(name) if name == "and" && depth == 0 => {
                parts.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts
}

/// `( … )` around a whole conjunct.
fn strip_parens(tokens: &[Token]) -> &[Token] {
    if tokens.len() >= 2
        && tokens[0] == Token::Punct("(")
        && tokens[tokens.len() - 1] == Token::Punct(")")
    {
        let mut depth = 0;
        for (i, token) in tokens.iter().enumerate() {
            match token {
                Token::Punct("(") => depth += 1,
                Token::Punct(")") => {
                    depth -= 1;
                    if depth == 0 && i < tokens.len() - 1 {
                        return tokens;
                    }
                }
                _ => {}
            }
        }
        return strip_parens(&tokens[1..tokens.len() - 1]);
    }
    tokens
}

fn render(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Token::Str(s) => format!("{s:?}"),
            Token::Int(n) => n.to_string(),
            Token::Float => "<float>".into(),
            Token::Name(n) => n.clone(),
            Token::Punct(p) => (*p).into(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What one operand of a comparison is.
enum Operand {
    Entry(usize, Field),
    /// `ord(entries[i][…])`: the field is one character with this code.
    Ord(usize, Field),
    Count,
    Literal(Value),
}

fn map_conjunct(tokens: &[Token]) -> Option<Vec<(usize, Field, Value)>> {
    let operands: Vec<&[Token]> = tokens.split(|t| *t == Token::Punct("==")).collect();
    if operands.len() < 2 {
        return None;
    }
    let operands: Vec<Operand> = operands.into_iter().map(operand).collect::<Option<_>>()?;
    let Some(Operand::Literal(value)) = operands.last() else {
        return None;
    };
    let mut checks = Vec::new();
    for op in &operands[..operands.len() - 1] {
        match op {
            Operand::Entry(i, field) => checks.push((*i, *field, value.clone())),
            Operand::Ord(i, field) => {
                let Value::Number(code) = value else {
                    return None;
                };
                let c = char::from_u32(u32::try_from(*code).ok()?)?;
                checks.push((*i, *field, Value::Text(c.to_string())));
            }
            Operand::Count => checks.push((0, Field::Count, value.clone())),
            Operand::Literal(_) => return None,
        }
    }
    // Each field's value must be of its kind.
    let fits = |field: Field, value: &Value| match field {
        Field::Count => matches!(value, Value::Number(_)),
        Field::Published | Field::Updated => matches!(value, Value::Time(t) if t.len() >= 6),
        _ => matches!(value, Value::Text(_)),
    };
    checks
        .iter()
        .all(|(_, field, value)| fits(*field, value))
        .then_some(checks)
}

fn operand(tokens: &[Token]) -> Option<Operand> {
    match tokens {
        [
            Token::Name(f),
            Token::Punct("("),
            inner @ ..,
            Token::Punct(")"),
        ] if f == "ord" => match operand(inner)? {
            Operand::Entry(i, field) => Some(Operand::Ord(i, field)),
            _ => None,
        },
        [
            Token::Name(f),
            Token::Punct("("),
            Token::Name(e),
            Token::Punct(")"),
        ] if f == "len" && e == "entries" => Some(Operand::Count),
        [
            Token::Name(e),
            Token::Punct("["),
            Token::Int(i),
            Token::Punct("]"),
            rest @ ..,
        ] if e == "entries" => {
            let field = entry_field(&path_keys(rest)?)?;
            Some(Operand::Entry(usize::try_from(*i).ok()?, field))
        }
        [Token::Int(n)] => Some(Operand::Literal(Value::Number(*n))),
        [Token::Punct("("), inner @ .., Token::Punct(")")] => {
            let numbers: Option<Vec<i64>> = inner
                .split(|t| *t == Token::Punct(","))
                .filter(|part| !part.is_empty())
                .map(|part| match part {
                    [Token::Int(n)] => Some(*n),
                    _ => None,
                })
                .collect();
            Some(Operand::Literal(Value::Time(numbers?)))
        }
        [Token::Str(_), ..] => {
            let mut text = String::new();
            for (i, token) in tokens.iter().enumerate() {
                match (i % 2, token) {
                    (0, Token::Str(s)) => text.push_str(s),
                    (1, Token::Punct("+")) => {}
                    _ => return None,
                }
            }
            Some(Operand::Literal(Value::Text(text)))
        }
        _ => None,
    }
}

/// `['a']['b'][0].c` as keys ("a", "b", "0", "c").
fn path_keys(mut tokens: &[Token]) -> Option<Vec<String>> {
    let mut keys = Vec::new();
    while !tokens.is_empty() {
        match tokens {
            [
                Token::Punct("["),
                Token::Str(key),
                Token::Punct("]"),
                rest @ ..,
            ] => {
                keys.push(key.clone());
                tokens = rest;
            }
            [
                Token::Punct("["),
                Token::Int(i),
                Token::Punct("]"),
                rest @ ..,
            ] => {
                keys.push(i.to_string());
                tokens = rest;
            }
            [Token::Punct("."), Token::Name(key), rest @ ..] => {
                keys.push(key.clone());
                tokens = rest;
            }
            _ => return None,
        }
    }
    Some(keys)
}

/// The stored field an entry's keys name (feedparser's aliases included:
/// `description` is `summary`, `guid` is `id`, `issued` is `published`,
/// `modified` and `date` are `updated`).
fn entry_field(keys: &[String]) -> Option<Field> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    Some(match keys.as_slice() {
        ["title"] | ["title_detail", "value"] => Field::Title,
        ["link"] => Field::Link,
        ["summary" | "description"] | ["summary_detail" | "description_detail", "value"] => {
            Field::Summary
        }
        ["content", "0", "value"] => Field::Content,
        ["id" | "guid"] => Field::Id,
        ["published_parsed" | "issued_parsed"] => Field::Published,
        ["updated_parsed" | "modified_parsed" | "date_parsed"] => Field::Updated,
        _ => return None,
    })
}

#[test]
fn expect_lines_are_read_into_checks() {
    let e = read(
        "not bozo and entries[0]['title_detail']['value'] == u'Caf\\xe9 \\u2019' and len(entries) == 2",
    );
    assert_eq!(e.unmapped, 1);
    assert_eq!(e.checks.len(), 2);
    assert_eq!(e.checks[0].field, Field::Title);
    assert_eq!(e.checks[0].value, Value::Text("Café \u{2019}".into()));
    assert_eq!(e.checks[1].value, Value::Number(2));
    let e = read("entries[0]['published_parsed'] == (2003, 12, 31, 10, 14, 55, 2, 365, 0)");
    assert_eq!(e.checks[0].field, Field::Published);
    let e = read("ord(entries[0]['description']) == 8230 and entries[0].link == 'a and b'");
    assert_eq!(e.checks[0].value, Value::Text("…".into()));
    assert_eq!(e.checks[1].value, Value::Text("a and b".into()));
    let e = read("entries[0]['tags'][0]['term'] == 'x'");
    assert_eq!((e.checks.len(), e.unmapped), (0, 1));
}
