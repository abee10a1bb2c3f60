//! A trunk registering to its carrier, against the real server with SIPp as
//! the carrier's registrar (tests/sipp/carrier_registrar.xml): the trunk is
//! configured through the admin API, the first REGISTER is challenged, the
//! second carries digest credentials SIPp verifies, and the trunk's
//! registration shows `registered` in the API and in /metrics. On a graceful
//! stop the server removes the binding (Expires: 0, authenticated), which the
//! scenario requires to succeed.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::http::{created, server};
use serde_json::{json, Value};

#[test]
fn a_registering_trunk_registers_to_its_carrier_and_unregisters_on_stop() {
    let port = common::free_port();
    let scenario =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sipp/carrier_registrar.xml");
    let media = (common::free_port() & !1).to_string();
    let carrier = Command::new("sipp")
        .arg("-sf")
        .arg(&scenario)
        .args(["-i", "127.0.0.1", "-p", &port.to_string(), "-mp", &media])
        .args(["-m", "1", "-timeout", "60s", "-nostdin"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running sipp (install Debian's sip-tester; tools/test does)");

    let (mut server, api) = server();
    let trunk = created(api.post(
        "/api/trunks",
        &json!({"name": "Carrier", "addresses": ["127.0.0.1"], "register": true,
                "registrar": format!("sip:127.0.0.1:{port}"),
                "register_username": "trunk7", "register_password": "secret",
                "register_expires": 600}),
    ));
    assert!(!trunk.to_string().contains("secret"), "{trunk}");
    let id = trunk["id"].as_i64().unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    let shown: Value = loop {
        let t = api.get(&format!("/api/trunks/{id}")).json();
        if t["registration"]["state"] == "registered" || Instant::now() > deadline {
            break t;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let registration = &shown["registration"];
    assert_eq!(registration["state"], "registered", "{shown}");
    assert_eq!(registration["last_error"], Value::Null);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let expires_at = registration["expires_at"].as_i64().unwrap();
    assert!(
        expires_at > now_ms + 500_000 && expires_at <= now_ms + 600_000,
        "the carrier granted 600 s: {expires_at} vs now {now_ms}"
    );
    assert!(!shown.to_string().contains("secret"));
    assert_eq!(
        server.metric("switchboard_trunk_registrations{state=\"registered\"}"),
        1
    );
    assert!(server.metric("switchboard_trunk_register_requests_total") >= 2);
    assert_eq!(
        server.metric("switchboard_trunk_registrations_accepted_total"),
        1
    );

    server.terminate();
    assert!(
        server.wait_exit(Duration::from_secs(30)).is_some(),
        "server did not stop"
    );
    let out = carrier.wait_with_output().unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "the carrier's scenario failed:\n{text}"
    );
}
