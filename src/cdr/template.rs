//! Text templates with placeholders: `{Name}` is replaced by the field `Name`
//! of a JSON object (the finish_interaction payload, or `{to}` and `{text}`
//! for the SMS gateway). A placeholder is a brace, a name of letters, digits
//! and `_` (not starting with a digit), and a closing brace; every other
//! brace is plain text, so a JSON body such as `{"to": "{to}"}` needs no
//! escaping. A string field is put in as it is, a number or boolean in its
//! JSON form, a list as its items joined by `, `, and null (or an unknown
//! name) as nothing; each value goes through an escape chosen by where the
//! text goes (a URL, a JSON string, a form).

use serde_json::Value;

/// How a value is written into the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    None,
    /// Percent-encoded (RFC 3986 unreserved characters kept): URLs and forms.
    Url,
    /// The inside of a JSON string.
    Json,
}

/// The placeholder names `text` uses, in order, each once.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    scan(text, |piece| {
        if let Piece::Name(name) = piece {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    });
    names
}

/// `text` with every placeholder replaced by its value in `fields`.
pub fn render(text: &str, fields: &Value, escape: Escape) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    scan(text, |piece| match piece {
        Piece::Text(t) => out.push_str(t),
        Piece::Name(name) => {
            let value = plain(fields.get(name).unwrap_or(&Value::Null));
            match escape {
                Escape::None => out.push_str(&value),
                Escape::Url => percent_encode(&value, &mut out),
                Escape::Json => {
                    let quoted = Value::String(value).to_string();
                    out.push_str(&quoted[1..quoted.len() - 1]);
                }
            }
        }
    });
    out
}

enum Piece<'a> {
    Text(&'a str),
    Name(&'a str),
}

fn scan<'a>(text: &'a str, mut each: impl FnMut(Piece<'a>)) {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let len = after
            .char_indices()
            .find(|&(i, c)| !(c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
            .map_or(after.len(), |(i, _)| i);
        if len > 0 && after[len..].starts_with('}') {
            each(Piece::Text(&rest[..open]));
            each(Piece::Name(&after[..len]));
            rest = &after[len + 1..];
        } else {
            each(Piece::Text(&rest[..=open]));
            rest = after;
        }
    }
    each(Piece::Text(rest));
}

fn plain(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn percent_encode(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> Value {
        json!({"RemoteNumber": "+15550100", "Note": "says \"hi\"\nbye", "Agent": 42,
               "UserTagNames": ["VIP", "Billing"], "Queue": null, "to": "+1 555 & co",
               "Field_2": "two"})
    }

    #[test]
    fn names_are_replaced_and_other_braces_stay() {
        let text =
            "Call {RemoteNumber} by {Agent} ({UserTagNames}) {Queue}|{ not } {} {2x} {Field_2}";
        assert_eq!(
            render(text, &fields(), Escape::None),
            "Call +15550100 by 42 (VIP, Billing) |{ not } {} {2x} two"
        );
        assert_eq!(
            placeholders(text),
            ["RemoteNumber", "Agent", "UserTagNames", "Queue", "Field_2"]
        );
    }

    #[test]
    fn a_json_body_keeps_its_braces_and_escapes_values() {
        let body = r#"{"to": "{to}", "text": "{Note}", "missing": "{Nothing}"}"#;
        let out = render(body, &fields(), Escape::Json);
        let parsed: Value = serde_json::from_str(&out).expect(&out);
        assert_eq!(
            parsed,
            json!({"to": "+1 555 & co", "text": "says \"hi\"\nbye", "missing": ""})
        );
    }

    #[test]
    fn urls_get_percent_encoded_values() {
        let url = "http://gw/send?to={to}&text={Note}";
        assert_eq!(
            render(url, &fields(), Escape::Url),
            "http://gw/send?to=%2B1%20555%20%26%20co&text=says%20%22hi%22%0Abye"
        );
    }

    #[test]
    fn unterminated_and_non_ascii_text_is_kept() {
        let text = "é {RemoteNumber {RemoteNumber}{";
        assert_eq!(
            render(text, &fields(), Escape::None),
            "é {RemoteNumber +15550100{"
        );
    }
}
