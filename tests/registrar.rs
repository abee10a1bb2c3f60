//! The registrar through the real server and SIPp: digest registration over
//! UDP and TCP, wrong passwords, stale nonces, back-off per address, per-source limits,
//! unregistering, OPTIONS, and bindings that survive a restart.

mod common;

use common::{sipp, sipp_from, TestServer};

#[test]
fn a_phone_registers_with_digest_over_udp_and_tcp() {
    let server = TestServer::start("", &[("2001", "s3cret")]);
    let users = server.sipp_users("users.csv", &[("2001", "s3cret")]);
    let udp = sipp("register.xml", server.udp, &users, &["-m", "1"]);
    assert!(udp.success, "{}", udp.output);
    assert_eq!(udp.successful_calls, 1);
    let tcp = sipp("register.xml", server.tcp, &users, &["-m", "1", "-t", "t1"]);
    assert!(tcp.success, "{}", tcp.output);
    assert_eq!(server.metric("switchboard_sip_registrations_total"), 2);
}

#[test]
fn a_wrong_password_is_challenged_again_and_counted() {
    let server = TestServer::start("", &[("2002", "right")]);
    let wrong = server.sipp_users("wrong.csv", &[("2002", "wrong")]);
    let run = sipp("register_challenged.xml", server.udp, &wrong, &["-m", "1"]);
    assert!(run.success, "{}", run.output);
    assert_eq!(server.metric("switchboard_sip_auth_failures_total"), 1);
    assert_eq!(server.metric("switchboard_sip_registrations_total"), 0);
}

/// The address standing for a stranger's host (the server listens on 127.0.0.1).
const STRANGER: &str = "127.0.0.2";

#[test]
fn a_stranger_failing_from_another_address_backs_off_there_alone_until_it_expires() {
    let server = TestServer::start(
        "[auth]\nmax_failed_attempts = 3\nbackoff_secs = 1\nmax_backoff_secs = 2\n",
        &[("2003", "right")],
    );
    let wrong = server.sipp_users("wrong.csv", &[("2003", "wrong")]);
    let right = server.sipp_users("right.csv", &[("2003", "right")]);
    for _ in 0..2 {
        let run = sipp_from(
            STRANGER,
            "register_challenged.xml",
            server.udp,
            &wrong,
            &["-m", "1"],
        );
        assert!(run.success, "{}", run.output);
    }
    // The third failure in a row from that address: 403, not another challenge.
    let run = sipp_from(
        STRANGER,
        "register_refused.xml",
        server.udp,
        &wrong,
        &["-m", "1"],
    );
    assert!(run.success, "{}", run.output);
    assert_eq!(server.metric("switchboard_sip_auth_backoffs_total"), 1);
    // The agent from its own address registers all the same.
    let run = sipp("register.xml", server.udp, &right, &["-m", "1"]);
    assert!(run.success, "{}", run.output);
    // From the stranger's address even the right password waits for the
    // back-off to end; then it registers, without any administrator.
    let run = sipp_from(
        STRANGER,
        "register_refused.xml",
        server.udp,
        &right,
        &["-m", "1"],
    );
    assert!(run.success, "{}", run.output);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let run = sipp_from(STRANGER, "register.xml", server.udp, &right, &["-m", "1"]);
        if run.success {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the back-off never ended: {}",
            run.output
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

#[test]
fn a_success_ends_a_run_of_failures() {
    let server = TestServer::start("[auth]\nmax_failed_attempts = 2\n", &[("2004", "right")]);
    let wrong = server.sipp_users("wrong.csv", &[("2004", "wrong")]);
    let right = server.sipp_users("right.csv", &[("2004", "right")]);
    for _ in 0..3 {
        assert!(sipp("register_challenged.xml", server.udp, &wrong, &["-m", "1"]).success);
        assert!(sipp("register.xml", server.udp, &right, &["-m", "1"]).success);
    }
    assert_eq!(server.metric("switchboard_sip_auth_backoffs_total"), 0);
}

#[test]
fn a_source_that_keeps_failing_is_refused_for_every_user() {
    let server = TestServer::start(
        "[auth]\nfailures_per_source_per_minute = 3\nmax_failed_attempts = 10\n",
        &[("2005", "right"), ("2006", "other")],
    );
    // A scanner guessing users that do not exist.
    let guesses = server.sipp_users("guesses.csv", &[("100", "x"), ("101", "x"), ("102", "x")]);
    let run = sipp(
        "register_challenged.xml",
        server.udp,
        &guesses,
        &["-m", "3"],
    );
    assert!(run.success, "{}", run.output);
    // Now even a valid user from that address is refused for the minute.
    let right = server.sipp_users("right.csv", &[("2006", "other")]);
    let run = sipp("register_blocked.xml", server.udp, &right, &["-m", "1"]);
    assert!(run.success, "{}", run.output);
    assert!(server.metric("switchboard_sip_auth_rate_limited_total") >= 1);
}

#[test]
fn a_stale_nonce_is_challenged_with_stale_true_and_then_registers() {
    let server = TestServer::start("[auth]\nnonce_lifetime_secs = 1\n", &[("2007", "pw")]);
    let users = server.sipp_users("users.csv", &[("2007", "pw")]);
    let run = sipp("register_stale_nonce.xml", server.udp, &users, &["-m", "1"]);
    assert!(run.success, "{}", run.output);
    assert_eq!(server.metric("switchboard_sip_auth_stale_total"), 1);
    // A stale nonce is not a failure.
    assert_eq!(server.metric("switchboard_sip_auth_failures_total"), 0);
}

#[test]
fn contact_star_removes_every_binding() {
    let server = TestServer::start("", &[("2008", "pw")]);
    let users = server.sipp_users("users.csv", &[("2008", "pw")]);
    let run = sipp("unregister.xml", server.udp, &users, &["-m", "1"]);
    assert!(run.success, "{}", run.output);
}

#[test]
fn too_brief_an_expiry_gets_423_with_min_expires() {
    let server = TestServer::start("[registrar]\nmin_expires = 600\n", &[("2009", "pw")]);
    let users = server.sipp_users("users.csv", &[("2009", "pw")]);
    // The scenario asks for 300 s.
    let run = sipp("register_too_brief.xml", server.udp, &users, &["-m", "1"]);
    assert!(run.success, "{}", run.output);
}

#[test]
fn bindings_survive_a_restart() {
    let mut server = TestServer::start("", &[("2010", "pw")]);
    let users = server.sipp_users("users.csv", &[("2010", "pw")]);
    let run = sipp("register.xml", server.udp, &users, &["-m", "1"]);
    assert!(run.success, "{}", run.output);
    server.restart();
    let run = sipp("query.xml", server.udp, &users, &["-m", "1"]);
    assert!(
        run.success,
        "the binding was lost in the restart:\n{}",
        run.output
    );
}

#[test]
fn options_to_the_server_is_answered_with_its_capabilities() {
    let server = TestServer::start("", &[]);
    let users = server.sipp_users("users.csv", &[("probe", "x")]);
    let run = sipp("options.xml", server.udp, &users, &["-m", "1"]);
    assert!(run.success, "{}", run.output);
    let run = sipp("options.xml", server.tcp, &users, &["-m", "1", "-t", "t1"]);
    assert!(run.success, "{}", run.output);
}

#[test]
fn an_unknown_user_is_answered_like_a_wrong_password() {
    let server = TestServer::start("[auth]\nmax_failed_attempts = 2\n", &[("2010", "right")]);
    // A known name with a wrong password and a name that does not exist get
    // the same answers: challenged again, then 403 once they back off.
    for user in ["2010", "2099"] {
        let guesses = server.sipp_users(&format!("{user}.csv"), &[(user, "wrong")]);
        let run = sipp(
            "register_challenged.xml",
            server.udp,
            &guesses,
            &["-m", "1"],
        );
        assert!(run.success, "{user}: {}", run.output);
        let run = sipp("register_refused.xml", server.udp, &guesses, &["-m", "1"]);
        assert!(run.success, "{user}: {}", run.output);
    }
    assert_eq!(server.metric("switchboard_sip_auth_failures_total"), 4);
    assert_eq!(server.metric("switchboard_sip_auth_backoffs_total"), 2);
}
