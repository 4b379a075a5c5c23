//! Hex text to bytes, with errors that say where the bad character is.

use std::fmt;

/// Text that is not hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HexError {
    /// A character that is neither a hex digit nor a separator.
    BadChar {
        /// Which input (argument or file).
        source: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The character.
        found: char,
    },
    /// A byte was cut in half.
    OddDigits {
        /// Which input.
        source: String,
        /// How many hex digits it has.
        digits: usize,
    },
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadChar {
                source,
                line,
                column,
                found,
            } => {
                write!(
                    f,
                    "{source}, line {line}, column {column}: {found:?} is not a hex digit"
                )
            }
            Self::OddDigits { source, digits } => {
                write!(
                    f,
                    "{source}: {digits} hex digits is an odd number, so the last byte is cut in half"
                )
            }
        }
    }
}

impl std::error::Error for HexError {}

/// Parse hex text: pairs of hex digits, optionally separated by white space, `:`, `,` or `-`, with
/// an optional `0x` before a run of digits; `#` comments to the end of the line.
pub fn parse(source: &str, text: &str) -> Result<Vec<u8>, HexError> {
    let mut digits = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default();
        let mut chars = line.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if c == '0' && matches!(chars.peek(), Some((_, 'x' | 'X'))) {
                chars.next();
                continue;
            }
            match c.to_digit(16) {
                Some(d) => digits.push(d as u8),
                None if c.is_whitespace() || matches!(c, ':' | ',' | '-') => {}
                None => {
                    let column = line[..at].chars().count() + 1;
                    return Err(HexError::BadChar {
                        source: source.to_owned(),
                        line: line_no + 1,
                        column,
                        found: c,
                    });
                }
            }
        }
    }
    if digits.len() % 2 != 0 {
        return Err(HexError::OddDigits {
            source: source.to_owned(),
            digits: digits.len(),
        });
    }
    Ok(digits
        .as_chunks::<2>()
        .0
        .iter()
        .map(|[hi, lo]| hi << 4 | lo)
        .collect())
}

/// Bytes as upper-case hex, space separated.
#[must_use]
pub fn format(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02X}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_usual_capture_notations() {
        let want = vec![0xAA, 0x55, 0x4C, 0x03];
        for text in [
            "AA554C03",
            "aa 55 4c 03",
            "AA:55:4C:03",
            "0xAA 0x55 0x4C 0x03",
            "AA55 # preamble\n4C03",
        ] {
            assert_eq!(parse("arg", text), Ok(want.clone()), "{text}");
        }
    }

    #[test]
    fn says_where_the_bad_character_is() {
        assert_eq!(
            parse("argument 1", "AA 5G"),
            Err(HexError::BadChar {
                source: "argument 1".into(),
                line: 1,
                column: 5,
                found: 'G'
            })
        );
        assert_eq!(
            parse("f.hex", "AA\nA"),
            Err(HexError::OddDigits {
                source: "f.hex".into(),
                digits: 3
            })
        );
        assert_eq!(format(&[0xAA, 0x05]), "AA 05");
    }
}
