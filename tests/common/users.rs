//! What the user, profile and session tests share: making profiles and
//! users through the API, and logging in.

use serde_json::{json, Value};

use super::http::{created, request, Api, Reply};
use super::TestServer;

pub fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

/// The id of a stored profile by name.
pub fn profile_id(api: &Api, name: &str) -> i64 {
    let list = api.get("/api/profiles").json();
    id(list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no profile {name}")))
}

pub fn make_profile(api: &Api, name: &str, permissions: &[String]) -> i64 {
    id(&created(api.post(
        "/api/profiles",
        &json!({"name": name, "permissions": permissions}),
    )))
}

pub fn make_user(api: &Api, username: &str, password: &str, extra: Value) -> Value {
    let mut body = json!({"username": username, "first_name": "Ada", "last_name": "Lovelace",
                          "password": password, "profiles": [profile_id(api, "Agent")]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    created(api.post("/api/users", &body))
}

pub fn login(server: &TestServer, username: &str, password: &str, project: Option<i64>) -> Reply {
    let mut body = json!({"username": username, "password": password});
    if let Some(p) = project {
        body["project"] = json!(p);
    }
    request(server.http, "POST", "/api/login", None, Some(&body))
}

/// Logs in; the session's bearer token.
pub fn token(server: &TestServer, username: &str, password: &str, project: Option<i64>) -> String {
    let reply = login(server, username, password, project);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["token"].as_str().unwrap().to_owned()
}

pub fn as_user(server: &TestServer, token: &str) -> Api {
    Api {
        addr: server.http,
        token: token.to_owned(),
    }
}

pub fn keys(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap().to_owned())
        .collect()
}

pub fn login_on(api: &Api, username: &str, password: &str, project: Option<i64>) -> String {
    let mut body = json!({"username": username, "password": password});
    if let Some(p) = project {
        body["project"] = json!(p);
    }
    let reply = request(api.addr, "POST", "/api/login", None, Some(&body));
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["token"].as_str().unwrap().to_owned()
}
