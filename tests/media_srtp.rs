//! SRTP legs over real UDP sockets on loopback (RFC 3711, keys as SDES would
//! give them): a plain caller bridged to a keyed agent, each side hearing the
//! other in its own profile; hold music protected; forged and replayed packets
//! dropped and counted, never relayed.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::media::{leg_socket, mu, peer, recv, recv_n, worker};
use switchboard::media::g711::Law;
use switchboard::media::leg::LegConfig;
use switchboard::media::rtp::{RtpHeader, RtpPacket};
use switchboard::media::source::MediaSource;
use switchboard::media::srtp::{Context, MasterKey, SrtpParams, Suite};
use switchboard::media::worker::Command;

fn rtp(seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut pkt = vec![0u8; 12];
    RtpHeader {
        marker: false,
        payload_type: 0,
        sequence: seq,
        timestamp: 160 * seq as u32,
        ssrc,
    }
    .write(&mut pkt);
    pkt.extend_from_slice(payload);
    pkt
}

/// An agent's phone keyed with `suite`: the leg's keys, and the phone's own
/// contexts (it sends under `remote`, and reads what we send under `local`).
fn keyed(suite: Suite) -> (SrtpParams, Context, Context) {
    let params = SrtpParams {
        suite,
        local: MasterKey::random(),
        remote: MasterKey::random(),
    };
    let phone_tx = Context::new(suite, &params.remote);
    let phone_rx = Context::new(suite, &params.local);
    (params, phone_tx, phone_rx)
}

#[tokio::test]
async fn a_plain_caller_and_an_srtp_agent_hear_each_other_through_a_bridge() {
    for suite in Suite::ALL {
        let (w, _events) = worker();
        let (caller_leg, caller_leg_addr) = leg_socket();
        let (agent_leg, agent_leg_addr) = leg_socket();
        let (caller, caller_addr) = peer().await;
        let (agent, agent_addr) = peer().await;
        let (params, mut phone_tx, mut phone_rx) = keyed(suite);
        let mut agent_cfg = LegConfig::new(Law::Mu, 0, Some(101), Some(agent_addr));
        agent_cfg.srtp = Some(params);
        for (id, socket, config) in [
            (10, caller_leg, mu(caller_addr)),
            (11, agent_leg, agent_cfg),
        ] {
            w.send(Command::AddLeg {
                id,
                socket,
                lease: None,
                config,
            })
            .await
            .unwrap();
        }
        w.send(Command::Bridge { a: 10, b: 11 }).await.unwrap();
        let said: Vec<u8> = (0..160).map(|i| i as u8).collect();
        let answered: Vec<u8> = (0..160).map(|i| 255 - i as u8).collect();
        for i in 0..5u16 {
            caller
                .send_to(&rtp(100 + i, 0xca11, &said), caller_leg_addr)
                .await
                .unwrap();
            let mut back = vec![0u8; 200];
            let plain = rtp(7000 + i, 0xa6e, &answered);
            back[..plain.len()].copy_from_slice(&plain);
            let n = phone_tx.protect_rtp(&mut back, plain.len()).unwrap();
            agent.send_to(&back[..n], agent_leg_addr).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let to_agent = recv_n(&agent, 5).await;
        assert_eq!(to_agent.len(), 5, "{suite:?}");
        for mut raw in to_agent {
            assert_eq!(
                raw.len(),
                172 + suite.rtp_tag_len(),
                "a tag on every packet"
            );
            assert_ne!(
                &raw[12..172],
                &said[..],
                "not the plain G.711 the caller sent"
            );
            let n = phone_rx.unprotect_rtp(&mut raw).expect("our key, our tag");
            assert_eq!(RtpPacket::parse(&raw[..n]).unwrap().payload, &said[..]);
        }
        let to_caller = recv_n(&caller, 5).await;
        assert_eq!(to_caller.len(), 5, "{suite:?}");
        for raw in &to_caller {
            assert_eq!(RtpPacket::parse(raw).unwrap().payload, &answered[..]);
        }
        let report = w.report().await.unwrap();
        assert_eq!((report.srtp_auth_failures, report.srtp_replays), (0, 0));
        assert_eq!(report.relayed, 10);
    }
}

#[tokio::test]
async fn forged_and_replayed_packets_are_counted_and_not_relayed() {
    let (w, _events) = worker();
    let (caller_leg, _) = leg_socket();
    let (agent_leg, agent_leg_addr) = leg_socket();
    let (caller, caller_addr) = peer().await;
    let (agent, agent_addr) = peer().await;
    let (params, mut phone_tx, _) = keyed(Suite::AesCm128HmacSha1_80);
    let mut agent_cfg = LegConfig::new(Law::Mu, 0, Some(101), Some(agent_addr));
    agent_cfg.srtp = Some(params);
    for (id, socket, config) in [
        (10, caller_leg, mu(caller_addr)),
        (11, agent_leg, agent_cfg),
    ] {
        w.send(Command::AddLeg {
            id,
            socket,
            lease: None,
            config,
        })
        .await
        .unwrap();
    }
    w.send(Command::Bridge { a: 10, b: 11 }).await.unwrap();
    let mut good = vec![0u8; 200];
    let plain = rtp(1, 0xa6e, &[0x55; 160]);
    good[..plain.len()].copy_from_slice(&plain);
    let n = phone_tx.protect_rtp(&mut good, plain.len()).unwrap();
    good.truncate(n);
    let mut forged = good.clone();
    forged[40] ^= 0x01;
    // Plain RTP to an SRTP leg, a forged packet, a short one, then the real
    // packet twice.
    for pkt in [&plain[..], &forged[..], &good[..8], &good[..], &good[..]] {
        agent.send_to(pkt, agent_leg_addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let heard = recv_n(&caller, 2).await;
    assert_eq!(
        heard.len(),
        1,
        "only the authentic packet reaches the caller"
    );
    let report = w.report().await.unwrap();
    assert_eq!(report.srtp_auth_failures, 3);
    assert_eq!(report.srtp_replays, 1);
}

#[tokio::test]
async fn hold_music_to_an_srtp_leg_is_protected() {
    let (w, _events) = worker();
    let (leg, _) = leg_socket();
    let (phone, phone_addr) = peer().await;
    let (params, _, mut phone_rx) = keyed(Suite::AesCm128HmacSha1_32);
    let mut config = LegConfig::new(Law::Mu, 0, Some(101), Some(phone_addr));
    config.srtp = Some(params);
    w.send(Command::AddLeg {
        id: 1,
        socket: leg,
        lease: None,
        config,
    })
    .await
    .unwrap();
    let music = Arc::new(MediaSource::from_pcm8k("m", vec![3000; 16_000]));
    w.send(Command::PlayMusic {
        id: 1,
        source: music,
        looping: true,
    })
    .await
    .unwrap();
    let plain = Law::Mu.encode(3000);
    for _ in 0..5 {
        let (mut raw, _) = recv(&phone).await.expect("music");
        assert_eq!(raw.len(), 172 + 4);
        assert!(raw[12..172].iter().any(|&b| b != plain));
        let n = phone_rx.unprotect_rtp(&mut raw).unwrap();
        assert!(RtpPacket::parse(&raw[..n])
            .unwrap()
            .payload
            .iter()
            .all(|&b| b == plain));
    }
}
