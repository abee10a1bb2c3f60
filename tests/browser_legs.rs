//! Queue calls to agents in browsers, end to end over real sockets: the
//! server, a SIPp caller from the demo trunk, and an agent registered over
//! SIP-over-WebSocket whose media side is a real WebRTC peer (str0m, full ICE,
//! DTLS-SRTP). The browser tests drive Chromium through the same path.

mod common;

#[path = "common/webrtc_peer.rs"]
mod webrtc_peer;
#[path = "common/ws_agent.rs"]
mod ws_agent;

use std::time::Duration;

use common::calls::{agent_id, call, completed_records, demo, DID};
use switchboard::cdr::{Disposition, TerminateSide};
use webrtc_peer::BrowserPeer;
use ws_agent::WsAgent;

const WAIT: Duration = Duration::from_secs(20);

type Server = std::sync::Arc<common::TestServer>;

/// The completed records and the answering agent's id, read off the runtime.
async fn records_and_agent(
    server: &Server,
    n: usize,
    user: &'static str,
) -> (Vec<switchboard::store::StoredInteraction>, u64) {
    let s = server.clone();
    tokio::task::spawn_blocking(move || (completed_records(&s, n), agent_id(&s, user)))
        .await
        .unwrap()
}

async fn registered(server: &common::TestServer, user: &str) -> WsAgent {
    let mut agent = WsAgent::connect(server.http, user, &format!("pw-{user}")).await;
    assert_eq!(
        agent.register().await,
        200,
        "{user} registers over WebSocket"
    );
    // Registration logs the agent in to dispatch.
    tokio::time::sleep(Duration::from_millis(300)).await;
    agent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_agent_answers_and_audio_flows_both_ways() {
    let (server, _api) = demo("");
    let mut agent = registered(&server, "1001").await;
    let udp = server.udp;
    let caller_server = std::sync::Arc::new(server);
    let s = caller_server.clone();
    let caller =
        tokio::task::spawn_blocking(move || call(&s, "queue_caller.xml", DID, &["-d", "6000"]));
    let _ = udp;

    let incoming = agent
        .ringing(WAIT)
        .await
        .expect("the browser is offered the call");
    let invite = &incoming.invite;
    assert!(
        invite.body().is_empty() && invite.header("Content-Type").is_none(),
        "a browser is invited without SDP, to make its own WebRTC offer:\n{}",
        invite.0
    );
    assert_eq!(invite.header("X-Queue"), Some("Support"));
    // RFC 7118 section 5: our Via and Contact name the WebSocket listener
    // (the HTTP port) and its transport, not the SIP UDP port.
    let http = caller_server.http;
    let via = invite.header("Via").unwrap();
    assert!(
        via.starts_with(&format!("SIP/2.0/WS {http};")),
        "the Via names the WebSocket listener: {via}"
    );
    let contact = invite.header("Contact").unwrap();
    assert_eq!(
        contact,
        format!("<sip:{http};transport=ws>"),
        "the Contact names the WebSocket listener"
    );
    assert!(
        invite.header("From").unwrap().contains("+1555"),
        "{}",
        invite.0
    );

    let (mut peer, offer) = BrowserPeer::offer("127.0.0.1".parse().unwrap()).await;
    let ack = agent
        .answer(&incoming, &offer)
        .await
        .expect("our 200 is acknowledged");
    let answer = ack.body();
    assert_eq!(ack.header("Content-Type"), Some("application/sdp"));
    assert!(answer.contains("a=ice-lite"), "{answer}");
    assert!(!answer.contains("a=setup:actpass"), "{answer}");
    assert!(answer.contains("a=rtcp-mux"), "{answer}");
    peer.answer(answer)
        .expect("the answer in the ACK is usable");
    // The caller sends G.711 A-law (SIPp's pcap): offered first, no transcoding.
    assert_eq!(peer.audio_pt, 8, "{answer}");

    peer.run_for(Duration::from_secs(3)).await;
    assert!(peer.connected, "ICE and DTLS came up with the browser");
    assert!(
        peer.received >= 50,
        "the caller's audio reached the browser: {} packets",
        peer.received
    );
    assert!(peer.received_pts.iter().all(|&pt| pt == 8));
    let media_in = caller_server.metric("switchboard_webrtc_media_in_total");
    assert!(
        media_in >= 50,
        "the browser's audio was decrypted and relayed to the caller: {media_in}"
    );
    assert_eq!(caller_server.metric("switchboard_webrtc_legs_connected"), 1);

    // The caller hangs up: the browser gets BYE, the leg goes.
    let mut bye = false;
    for _ in 0..20 {
        peer.run_for(Duration::from_millis(200)).await;
        if agent
            .bye_received(&incoming, Duration::from_millis(100))
            .await
        {
            bye = true;
            break;
        }
    }
    assert!(bye, "the browser was sent BYE when the caller hung up");
    let run = caller.await.unwrap();
    assert!(run.success, "the caller: {}", run.output);
    let (records, agent_1001) = records_and_agent(&caller_server, 1, "1001").await;
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered), "{r:#?}");
    assert_eq!(r.terminate_side, Some(TerminateSide::Caller));
    assert_eq!(r.agent.map(|a| a.0), Some(agent_1001));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(caller_server.metric("switchboard_webrtc_legs"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_that_rejects_is_passed_for_the_next_agent() {
    let (server, _api) = demo("");
    let mut first = registered(&server, "1001").await;
    let mut second = registered(&server, "1002").await;
    let server = std::sync::Arc::new(server);
    let s = server.clone();
    let caller =
        tokio::task::spawn_blocking(move || call(&s, "queue_caller.xml", DID, &["-d", "8000"]));
    // Whichever browser is offered the call first rejects it.
    let (offered, other) = tokio::select! {
        i = first.ringing(WAIT) => (i.map(|i| (1, i)), 2),
        i = second.ringing(WAIT) => (i.map(|i| (2, i)), 1),
    };
    let (who, incoming) = offered.expect("one browser is offered the call");
    let rejecting = if who == 1 { &mut first } else { &mut second };
    rejecting.reject(&incoming).await;
    let next = if other == 1 { &mut first } else { &mut second };
    let incoming = next
        .ringing(WAIT)
        .await
        .expect("the other browser is offered the call next");
    let (mut peer, offer) = BrowserPeer::offer("127.0.0.1".parse().unwrap()).await;
    let ack = next.answer(&incoming, &offer).await.unwrap();
    peer.answer(ack.body()).unwrap();
    peer.run_for(Duration::from_secs(2)).await;
    assert!(peer.connected && peer.received > 20);
    let run = caller.await.unwrap();
    assert!(run.success, "{}", run.output);
    let answered_by = if other == 1 { "1001" } else { "1002" };
    let (records, id) = records_and_agent(&server, 1, answered_by).await;
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered));
    assert_eq!(r.agent.map(|a| a.0), Some(id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_client_that_wants_an_offer_is_not_rung_again_and_again() {
    let (server, _api) = demo("");
    let mut agent = registered(&server, "1001").await;
    let server = std::sync::Arc::new(server);
    let s = server.clone();
    let caller =
        tokio::task::spawn_blocking(move || call(&s, "queue_caller.xml", DID, &["-d", "14000"]));
    let incoming = agent.ringing(WAIT).await.expect("the client is rung");
    assert!(incoming.invite.body().is_empty());
    // A client that takes only offers refuses the SDP-less INVITE.
    let refusal = agent.response(&incoming, 488, "Not Acceptable Here", None);
    agent.send(refusal).await;
    // Its binding goes, so the call is not offered to it again when the
    // re-offer delay (10 s) is over, while the caller still waits.
    let again = agent
        .next_matching(Duration::from_secs(12), |m| m.is_request("INVITE"))
        .await;
    assert!(again.is_none(), "rung again: {}", again.unwrap().0);
    assert_eq!(server.metric("switchboard_sip_bindings_unusable_total"), 1);
    assert_eq!(server.metric("switchboard_call_agent_invites_total"), 1);
    let run = caller.await.unwrap();
    assert!(run.success, "{}", run.output);
    // Registering again binds it again.
    assert_eq!(agent.register().await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_that_vanishes_mid_call_ends_the_call() {
    let (server, _api) = demo("");
    let mut agent = registered(&server, "1001").await;
    let server = std::sync::Arc::new(server);
    let s = server.clone();
    let caller = tokio::task::spawn_blocking(move || {
        call(&s, "queue_caller_waits.xml", DID, &["-recv_timeout", "60s"])
    });
    let incoming = agent.ringing(WAIT).await.unwrap();
    let (mut peer, offer) = BrowserPeer::offer("127.0.0.1".parse().unwrap()).await;
    let ack = agent.answer(&incoming, &offer).await.unwrap();
    peer.answer(ack.body()).unwrap();
    peer.run_for(Duration::from_secs(2)).await;
    assert!(peer.connected);
    // The tab is killed: no BYE, no more media or consent checks.
    drop(peer);
    drop(agent);
    let run = caller.await.unwrap();
    assert!(
        run.success,
        "the caller was sent BYE when the browser went away: {}",
        run.output
    );
    let (records, _) = records_and_agent(&server, 1, "1001").await;
    let r = &records[0].record;
    assert_eq!(r.disposition, Some(Disposition::Answered));
    assert_eq!(r.terminate_side, Some(TerminateSide::Agent));
    assert_eq!(server.metric("switchboard_webrtc_legs"), 0);
}
