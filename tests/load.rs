//! REGISTER with digest at 1,000 per second for 10 seconds from SIPp, against
//! the real server with its SQLite file: every transaction must succeed.
//! (Throughput is measured by tools/bench-register, not asserted here.)

mod common;

use common::{sipp, TestServer};

#[test]
fn ten_thousand_digest_registrations_at_1000_per_second_all_succeed() {
    let users: Vec<(String, String)> = (0..1000)
        .map(|i| (format!("{}", 50_000 + i), format!("pw{i}x")))
        .collect();
    let refs: Vec<(&str, &str)> = users
        .iter()
        .map(|(u, p)| (u.as_str(), p.as_str()))
        .collect();
    let server = TestServer::start("", &refs);
    let csv = server.sipp_users("load.csv", &refs);
    let run = sipp(
        "register.xml",
        server.udp,
        &csv,
        &["-r", "1000", "-m", "10000", "-l", "2000"],
    );
    assert!(run.success, "{}", run.output);
    assert_eq!(run.successful_calls, 10_000, "{}", run.output);
    assert_eq!(run.failed_calls, 0);
    assert_eq!(server.metric("switchboard_sip_registrations_total"), 10_000);
    assert_eq!(server.metric("switchboard_sip_auth_failures_total"), 0);
}
