//! Spark multi-part identifiers: `a.b`, backticked `` `a.b`.c ``.

/// The parts of an identifier, with backticks removed (a doubled backtick is a literal one).
pub fn parse_identifier(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' if quoted && chars.peek() == Some(&'`') => {
                current.push('`');
                chars.next();
            }
            '`' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_unquoted_dots() {
        assert_eq!(parse_identifier("a.b"), vec!["a", "b"]);
        assert_eq!(parse_identifier("`a.b`.c"), vec!["a.b", "c"]);
        assert_eq!(parse_identifier("x"), vec!["x"]);
    }
}
