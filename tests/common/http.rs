//! A small HTTP/1.1 JSON client over a raw socket, for the admin API tests:
//! one request per connection, the answer's status, headers and body.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{json, Value};

use super::TestServer;

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }
}

/// Sends `method path` with an optional bearer token and JSON body.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let body = body.map(|b| b.to_string());
    request_raw(addr, method, path, token, body.as_deref())
}

/// [`request`] with the body text as given (for malformed JSON).
pub fn request_raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Reply {
    request_typed(addr, method, path, token, "application/json", body)
}

/// [`request_raw`] with the body's content type given.
pub fn request_typed(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: Option<&str>,
) -> Reply {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| ("Authorization", a))
        .into_iter()
        .collect();
    request_with(addr, method, path, &headers, content_type, body)
}

/// A request with the extra header lines `headers` (a cookie, say).
pub fn request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    content_type: &str,
    body: Option<&str>,
) -> Reply {
    let body = body.map(str::as_bytes);
    request_bytes(addr, method, path, headers, content_type, body)
}

/// [`request_with`] with a body of bytes (an audio file, say).
pub fn request_bytes(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    content_type: &str,
    body: Option<&[u8]>,
) -> Reply {
    let mut s = TcpStream::connect(addr).expect("connecting to HTTP");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = body.unwrap_or(b"");
    if !body.is_empty() || method == "POST" || method == "PUT" {
        head.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// An admin API client bound to one server and token.
pub struct Api {
    pub addr: SocketAddr,
    pub token: String,
}

impl Api {
    pub fn get(&self, path: &str) -> Reply {
        request(self.addr, "GET", path, Some(&self.token), None)
    }
    pub fn post(&self, path: &str, body: &Value) -> Reply {
        request(self.addr, "POST", path, Some(&self.token), Some(body))
    }
    pub fn put(&self, path: &str, body: &Value) -> Reply {
        request(self.addr, "PUT", path, Some(&self.token), Some(body))
    }
    pub fn delete(&self, path: &str) -> Reply {
        request(self.addr, "DELETE", path, Some(&self.token), None)
    }
}

// What the admin API tests assert again and again.

/// A server with no extensions and a client holding its admin token.
pub fn server() -> (TestServer, Api) {
    let server = TestServer::start("", &[]);
    assert!(!server.admin_token.is_empty(), "no admin-token line");
    let api = Api {
        addr: server.http,
        token: server.admin_token.clone(),
    };
    (server, api)
}

/// Checks an answer is problem+json with `status` and the RFC 9457 members.
pub fn assert_problem(reply: &Reply, status: u16) -> Value {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{}",
        reply.body
    );
    let p = reply.json();
    assert_eq!(p["status"], status);
    for key in ["type", "title", "detail"] {
        assert!(p[key].is_string(), "problem without {key}: {p}");
    }
    p
}

/// The `field`s of a problem's `errors`.
pub fn fields(p: &Value) -> Vec<String> {
    p["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {p}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

/// Checks a 201 whose `Location` names the created item; the item.
pub fn created(reply: Reply) -> Value {
    assert_eq!(reply.status, 201, "{}", reply.body);
    let v = reply.json();
    assert!(reply
        .header("location")
        .unwrap()
        .ends_with(&format!("/{}", v["id"])));
    v
}

/// Creates a project; its id.
pub fn project(api: &Api, name: &str) -> i64 {
    created(api.post("/api/projects", &json!({"name": name, "break_minutes": 30})))["id"]
        .as_i64()
        .unwrap()
}

/// Creates a voice queue with the defaults; its id.
pub fn queue(api: &Api, project: i64, name: &str, number: &str) -> i64 {
    created(api.post(
        "/api/queues",
        &json!({"project_id": project, "name": name, "number": number}),
    ))["id"]
        .as_i64()
        .unwrap()
}

/// Checks an answer against the OpenAPI document `doc`: the operation
/// `method` on the templated `path` must list the answer's status, with the
/// answer's content type, and the body must match that schema. Returns what
/// does not match, empty when it conforms.
pub fn conformance(doc: &Value, method: &str, path: &str, reply: &Reply) -> Vec<String> {
    let op = &doc["paths"][path][method.to_ascii_lowercase()];
    if !op.is_object() {
        return vec![format!("{method} {path} is not in the document")];
    }
    let response = &op["responses"][reply.status.to_string()];
    if !response.is_object() {
        return vec![format!(
            "{method} {path} does not list status {}",
            reply.status
        )];
    }
    let Some(content) = response.get("content") else {
        return if reply.body.is_empty() {
            Vec::new()
        } else {
            vec![format!(
                "{method} {path} {} has a body the document does not",
                reply.status
            )]
        };
    };
    let kind = reply.header("content-type").unwrap_or("");
    let Some(media) = content.get(kind) else {
        return vec![format!(
            "{method} {path} {}: content type {kind:?} not listed",
            reply.status
        )];
    };
    let mut out = Vec::new();
    check(doc, &media["schema"], &reply.json(), "$", &mut out);
    out
}

/// A JSON Schema subset: `$ref`, `type` (one or several), `enum`, `required`,
/// `properties`, `additionalProperties: false`, `items`, `minimum`,
/// `maximum`, `minLength`, `maxLength`.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return check(doc, &doc["components"]["schemas"][name], v, at, out);
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let actual = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let type_ok = types.is_empty()
        || types.contains(&actual)
        || (actual == "integer" && types.contains(&"number"));
    if !type_ok {
        out.push(format!("{at}: {actual}, the document says {types:?}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(v) {
            out.push(format!("{at}: {v} is not one of {allowed:?}"));
        }
    }
    if let Some(n) = v.as_i64() {
        if schema["minimum"].as_i64().is_some_and(|m| n < m)
            || schema["maximum"].as_i64().is_some_and(|m| n > m)
        {
            out.push(format!("{at}: {n} is out of the documented range"));
        }
    }
    if let Some(s) = v.as_str() {
        let len = s.chars().count() as u64;
        if schema["minLength"].as_u64().is_some_and(|m| len < m)
            || schema["maxLength"].as_u64().is_some_and(|m| len > m)
        {
            out.push(format!("{at}: length {len} is out of the documented range"));
        }
    }
    if let Value::Array(items) = v {
        for (i, item) in items.iter().enumerate() {
            check(doc, &schema["items"], item, &format!("{at}[{i}]"), out);
        }
    }
    if let Value::Object(map) = v {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or("");
            if !map.contains_key(name) {
                out.push(format!("{at}.{name}: required but missing"));
            }
        }
        let props = &schema["properties"];
        for (k, x) in map {
            if props[k].is_object() {
                check(doc, &props[k], x, &format!("{at}.{k}"), out);
            } else if schema["additionalProperties"] == Value::Bool(false) || props.is_object() {
                out.push(format!("{at}.{k}: not in the document"));
            }
        }
    }
}
