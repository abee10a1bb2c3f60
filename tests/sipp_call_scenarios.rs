//! The SIPp scenarios the call tests use, checked against each other before
//! call control exists: each agent phone scenario registers with the real
//! server (digest, a real SQLite file), then takes a call straight from its
//! counterpart — a caller scenario, or a probe standing in for the server's
//! offer — so a scenario that does not parse or does not pair up fails here
//! and not inside a call test.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{free_port, sipp, TestServer};

fn sipp_installed() -> bool {
    Command::new("sipp").arg("-v").output().is_ok()
        && Path::new("/usr/share/sip-tester/g711a.pcap").exists()
}

/// Registers extension 1001 as the agent phone `agent` (an out-of-call
/// scenario of call_agent_register.xml, with `agent_args`), runs `caller`
/// against the phone with `caller_args`, and checks both ends succeeded.
fn pair(agent: &str, agent_args: &[&str], caller: &str, caller_args: &[&str]) {
    if !sipp_installed() {
        eprintln!("SIPp or its captures are missing; skipping");
        return;
    }
    let server = TestServer::start("", &[("1001", "secret-1001")]);
    let users = server.sipp_users("agent.csv", &[("1001", "secret-1001")]);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sipp");
    let port = free_port();
    let media = (free_port() & !1).to_string();
    let phone = Command::new("sipp")
        .arg("-sf")
        .arg(dir.join("call_agent_register.xml"))
        .arg("-oocsf")
        .arg(dir.join(agent))
        .arg("-inf")
        .arg(&users)
        .args(["-i", "127.0.0.1", "-p", &port.to_string(), "-mp", &media])
        .args(["-d", "6000", "-m", "1", "-timeout", "30s", "-nostdin"])
        .args(agent_args)
        .arg(server.udp.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running sipp");
    std::thread::sleep(Duration::from_millis(1000));
    let phone_addr = format!("127.0.0.1:{port}").parse().unwrap();
    let run = sipp(caller, phone_addr, &users, caller_args);
    let phone = phone.wait_with_output().unwrap();
    let phone_text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&phone.stdout),
        String::from_utf8_lossy(&phone.stderr)
    );
    assert!(
        run.success && run.successful_calls == 1,
        "{caller} against {agent}:\n{}",
        run.output
    );
    assert!(
        phone.status.success(),
        "{agent} (registered with the server):\n{phone_text}"
    );
}

#[test]
fn a_caller_talks_to_an_agent_and_hangs_up() {
    pair(
        "call_agent.xml",
        &[],
        "call_caller.xml",
        &["-m", "1", "-s", "600", "-d", "1000"],
    );
}

#[test]
fn an_agent_hangs_up_first_and_the_caller_answers_the_bye() {
    pair(
        "call_agent_hangup.xml",
        &["-set", "hangup_ms", "1500"],
        "call_caller_waits.xml",
        &["-m", "1", "-s", "600"],
    );
}

#[test]
fn a_caller_presses_1_and_waits_for_the_bye() {
    pair(
        "call_agent_hangup.xml",
        &["-set", "hangup_ms", "2500"],
        "call_caller_dtmf.xml",
        &["-m", "1", "-s", "600", "-d", "1000"],
    );
}

#[test]
fn a_caller_abandons_after_a_short_wait() {
    pair(
        "call_agent.xml",
        &[],
        "call_caller_cancel.xml",
        &["-m", "1", "-s", "600", "-d", "300"],
    );
}

#[test]
fn an_unanswered_offer_is_cancelled() {
    pair(
        "call_agent_noanswer.xml",
        &[],
        "probe_offer_cancelled.xml",
        &["-m", "1"],
    );
}

#[test]
fn a_busy_agent_refuses_the_offer() {
    pair(
        "call_agent_busy.xml",
        &[],
        "probe_offer_refused.xml",
        &["-m", "1"],
    );
}
