//! Dial patterns of outbound routes: which dialled numbers a route takes.
//!
//! The syntax is Asterisk's extension pattern, small enough to read at a
//! glance and well known to telephony administrators:
//!
//! - a pattern without a leading `_` is a literal: the number must be exactly
//!   it (`112`);
//! - after a leading `_`, each character matches one character of the number:
//!   `X` any digit, `Z` 1 to 9, `N` 2 to 9, `[15-7]` a digit of the set (digits
//!   and ranges), and digits, `+`, `*` and `#` themselves;
//! - a final `.` matches one or more further characters, a final `!` zero or
//!   more (`_00.` is every number starting with 00, `_+!` every number
//!   starting with `+`).
//!
//! `X`, `Z` and `N` may be written in either case. Numbers are made of digits,
//! `+`, `*` and `#`; anything else is never dialled. The store checks patterns
//! with [`DialPattern::parse`] before saving them; call control matches with
//! [`DialPattern::matches`].

use std::fmt;

/// The longest pattern or dialled number taken.
pub const MAX_LEN: usize = 64;

/// One position of a pattern: the digits (bits 0..=9) or the one symbol it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    Digits(u16),
    Symbol(u8),
}

impl Element {
    fn takes(self, c: u8) -> bool {
        match self {
            Element::Digits(set) => c.is_ascii_digit() && set & (1 << (c - b'0')) != 0,
            Element::Symbol(s) => s == c,
        }
    }
}

/// What may follow the fixed positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tail {
    Nothing,
    OneOrMore,
    ZeroOrMore,
}

/// A parsed dial pattern; see the module documentation for its syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialPattern {
    text: String,
    elements: Vec<Element>,
    tail: Tail,
}

/// Whether `c` may appear in a dialled number.
fn is_dial_char(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b'+' | b'*' | b'#')
}

/// Whether `number` is something one can dial: 1 to [`MAX_LEN`] digits, `+`,
/// `*` or `#`.
pub fn is_dialable(number: &str) -> bool {
    !number.is_empty() && number.len() <= MAX_LEN && number.bytes().all(is_dial_char)
}

fn digit_set(lo: u8, hi: u8) -> u16 {
    (lo..=hi).fold(0, |set, d| set | 1 << d)
}

impl DialPattern {
    /// Parses `text`; the error says what is wrong, for the administrator.
    pub fn parse(text: &str) -> Result<DialPattern, String> {
        if text.is_empty() {
            return Err("must not be empty".into());
        }
        if text.len() > MAX_LEN {
            return Err(format!("must be at most {MAX_LEN} characters"));
        }
        let Some(body) = text.strip_prefix('_') else {
            if !is_dialable(text) {
                return Err(
                    "a literal number holds digits, +, * and # only; start a pattern with _".into(),
                );
            }
            return Ok(DialPattern {
                text: text.to_owned(),
                elements: text.bytes().map(Element::Symbol).collect(),
                tail: Tail::Nothing,
            });
        };
        let bytes = body.as_bytes();
        let mut elements = Vec::with_capacity(bytes.len());
        let mut tail = Tail::Nothing;
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let element = match c.to_ascii_uppercase() {
                b'X' => Element::Digits(digit_set(0, 9)),
                b'Z' => Element::Digits(digit_set(1, 9)),
                b'N' => Element::Digits(digit_set(2, 9)),
                b'.' | b'!' => {
                    if i + 1 != bytes.len() {
                        return Err(format!(
                            "{} may only end a pattern",
                            char::from(c)
                        ));
                    }
                    tail = if c == b'.' {
                        Tail::OneOrMore
                    } else {
                        Tail::ZeroOrMore
                    };
                    i += 1;
                    continue;
                }
                b'[' => {
                    let close = bytes[i..]
                        .iter()
                        .position(|&b| b == b']')
                        .ok_or("a [ without its ]")?;
                    let set = parse_set(&bytes[i + 1..i + close])?;
                    i += close + 1;
                    elements.push(Element::Digits(set));
                    continue;
                }
                d if d.is_ascii_digit() => Element::Digits(1 << (d - b'0')),
                s if is_dial_char(s) => Element::Symbol(s),
                _ => {
                    return Err(format!(
                        "{:?} is not part of a pattern (X, Z, N, [..], digits, +, *, #, and . or ! at the end)",
                        char::from(c)
                    ))
                }
            };
            elements.push(element);
            i += 1;
        }
        if elements.is_empty() && tail == Tail::Nothing {
            return Err("a pattern needs at least one position after _".into());
        }
        Ok(DialPattern {
            text: text.to_owned(),
            elements,
            tail,
        })
    }

    /// Whether the route of this pattern takes `number`.
    pub fn matches(&self, number: &str) -> bool {
        let n = number.as_bytes();
        if !is_dialable(number) || n.len() < self.elements.len() {
            return false;
        }
        let fixed = self.elements.iter().zip(n).all(|(e, &c)| e.takes(c));
        let rest = n.len() - self.elements.len();
        fixed
            && match self.tail {
                Tail::Nothing => rest == 0,
                Tail::OneOrMore => rest >= 1,
                Tail::ZeroOrMore => true,
            }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for DialPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The digits of `[...]`: digits and ranges such as `1-4`.
fn parse_set(inside: &[u8]) -> Result<u16, String> {
    if inside.is_empty() {
        return Err("an empty [] takes nothing".into());
    }
    let mut set = 0u16;
    let mut i = 0;
    while i < inside.len() {
        let lo = inside[i];
        if !lo.is_ascii_digit() {
            return Err("[..] holds digits and ranges such as 1-4 only".into());
        }
        if inside.get(i + 1) == Some(&b'-') {
            let hi = *inside
                .get(i + 2)
                .filter(|h| h.is_ascii_digit())
                .ok_or("a range in [..] ends with a digit")?;
            if hi < lo {
                return Err("a range in [..] runs from low to high".into());
            }
            set |= digit_set(lo - b'0', hi - b'0');
            i += 3;
        } else {
            set |= 1 << (lo - b'0');
            i += 1;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_take_the_numbers_they_describe() {
        let table: &[(&str, &[&str], &[&str])] = &[
            ("112", &["112"], &["1120", "11", "113"]),
            ("+4930123", &["+4930123"], &["4930123"]),
            ("_X", &["0", "9"], &["", "10", "*"]),
            ("_NXX", &["200", "999"], &["199", "099", "2000"]),
            ("_Z", &["1"], &["0"]),
            ("_0.", &["01", "0049301234"], &["0", "10"]),
            ("_0!", &["0", "01"], &["1"]),
            ("_+!", &["+", "+49"], &["49"]),
            ("_9[1-35]X", &["910", "935", "925"], &["940", "960", "91"]),
            ("_*XX", &["*72"], &["#72", "172"]),
            ("_nxxnxxxxxx", &["2125551234"], &["1125551234"]),
            ("_.", &["1", "+49"], &[""]),
        ];
        for (pattern, yes, no) in table {
            let p = DialPattern::parse(pattern).unwrap();
            for number in *yes {
                assert!(p.matches(number), "{pattern} should take {number:?}");
            }
            for number in *no {
                assert!(!p.matches(number), "{pattern} should not take {number:?}");
            }
        }
    }

    #[test]
    fn numbers_with_other_characters_are_never_taken() {
        let p = DialPattern::parse("_!").unwrap();
        assert!(p.matches("123"));
        for bad in ["12a", "1 2", "sip:1", "1-2"] {
            assert!(!p.matches(bad), "{bad}");
        }
    }

    #[test]
    fn bad_patterns_say_what_is_wrong() {
        for (bad, why) in [
            ("", "empty"),
            ("_", "at least one"),
            ("12a", "literal"),
            ("_0.1", "end"),
            ("_[1-", "without its ]"),
            ("_[]", "empty"),
            ("_[a]", "digits"),
            ("_[5-1]", "low to high"),
            ("_[1-x]", "ends with a digit"),
            ("_9Y", "not part of a pattern"),
        ] {
            let e = DialPattern::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        assert!(DialPattern::parse(&"1".repeat(MAX_LEN + 1)).is_err());
    }
}
