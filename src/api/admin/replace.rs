//! Reading the body of a replace (`PUT`): a client may send back the whole
//! item it fetched with `GET`, changed where it likes. The fields of the
//! stored form that the input does not take (`id`, and what the server keeps
//! or derives: a status's `system`, a user's `extensions`...) are accepted
//! when they hold the stored value, and refused (422, naming the field) when
//! they do not; `id` must be the id in the path. Any other field the input
//! does not know is still a 400, as on create.

use axum::body::Bytes;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::problem::{json_body, malformed, Problem};
use crate::store::admin::{AdminError, FieldError};

/// Reads the input of a replace from `bytes`. `read_only` names the fields
/// of the stored form the input does not take; `stored` is the item as the
/// caller may read it (its JSON), each such field sent back is checked
/// against it.
pub fn replacement<T: DeserializeOwned>(
    headers: &HeaderMap,
    bytes: &Bytes,
    read_only: &[&str],
    stored: &Value,
) -> Result<T, Problem> {
    let mut body: Value = json_body(headers, bytes)?;
    let mut sent_back = Map::new();
    if let Value::Object(fields) = &mut body {
        for name in read_only {
            if let Some(value) = fields.remove(*name) {
                sent_back.insert((*name).to_owned(), value);
            }
        }
    }
    let input = serde_json::from_value(body).map_err(|e| malformed(&e))?;
    let errors: Vec<FieldError> = read_only
        .iter()
        .filter_map(|name| {
            let sent = sent_back.get(*name)?;
            let held = &stored[*name];
            (sent != held).then(|| FieldError {
                field: (*name).to_owned(),
                message: if *name == "id" {
                    format!("must be the id in the path ({held})")
                } else {
                    format!("read-only: it is {held}")
                },
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(AdminError::Invalid(errors).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, HeaderValue};
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Input {
        name: String,
    }

    fn read(body: Value) -> Result<Input, Problem> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let stored = json!({"id": 7, "name": "old", "system": false});
        replacement(
            &headers,
            &Bytes::from(body.to_string()),
            &["id", "system"],
            &stored,
        )
    }

    fn refused(body: Value) -> (u16, Vec<String>) {
        let p = read(body).unwrap_err();
        let fields = p
            .errors
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect();
        (p.status, fields)
    }

    #[test]
    fn read_only_fields_sent_back_unchanged_are_accepted() {
        assert_eq!(read(json!({"name": "new"})).unwrap().name, "new");
        let whole = read(json!({"id": 7, "name": "new", "system": false})).unwrap();
        assert_eq!(whole.name, "new");
    }

    #[test]
    fn a_changed_read_only_field_is_named() {
        assert_eq!(
            refused(json!({"id": 8, "name": "new"})),
            (422, vec!["id".into()])
        );
        assert_eq!(
            refused(json!({"id": "7", "name": "new", "system": true})),
            (422, vec!["id".into(), "system".into()])
        );
    }

    #[test]
    fn other_unknown_fields_and_bad_bodies_stay_malformed() {
        assert_eq!(
            refused(json!({"name": "new", "colour": 1})),
            (400, vec!["colour".into()])
        );
        assert_eq!(refused(json!([1])).0, 400);
        assert_eq!(refused(json!({"id": 7})), (400, vec!["name".into()]));
    }
}
