//! The source guard on a virtual clock: milliseconds are plain numbers.

use std::net::{IpAddr, Ipv4Addr};

use super::*;

const SCANNER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));
const PHONE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));
const TRUNK: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5));
const OFFICE: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3));

fn settings() -> Settings {
    Settings {
        invite: Rate {
            per_sec: 2,
            burst: 4,
        },
        register: Rate {
            per_sec: 5,
            burst: 10,
        },
        probe_limit: 5,
        probe_window_ms: 60_000,
        block_ms: 1_000,
        max_block_ms: 4_000,
        scanner_agents: vec!["friendly-scanner".into(), "sipvicious".into(), " ".into()],
        allow: vec![Net::parse("10.0.0.0/8").unwrap()],
        max_sources: 1_000,
    }
}

fn guard() -> SourceGuard {
    SourceGuard::new(settings())
}

fn register(g: &mut SourceGuard, ip: IpAddr, now: u64) -> Verdict {
    g.request(ip, now, Metered::Register, Some(b"Yealink SIP-T46S"))
}

#[test]
fn a_scanner_is_blocked_at_once_until_its_block_expires() {
    let mut g = guard();
    let ua: &[u8] = b"Friendly-Scanner 1.0";
    assert_eq!(
        g.request(SCANNER, 0, Metered::Other, Some(ua)),
        Verdict::Drop
    );
    assert_eq!(
        g.poll_block(),
        Some(Block {
            source: SCANNER,
            reason: Reason::Scanner,
            for_ms: 1_000,
            offences: 1
        })
    );
    assert_eq!(g.poll_block(), None);
    // Whatever it sends next is dropped before parsing.
    assert!(g.drop_datagram(SCANNER, 500));
    assert!(g.refuse_connection(SCANNER, 500));
    assert_eq!(register(&mut g, SCANNER, 999), Verdict::Drop);
    // Others are served meanwhile.
    assert!(!g.drop_datagram(PHONE, 500));
    assert_eq!(register(&mut g, PHONE, 500), Verdict::Pass);
    // Expired: answered again, until it names itself again.
    assert!(!g.drop_datagram(SCANNER, 1_000));
    assert_eq!(register(&mut g, SCANNER, 1_000), Verdict::Pass);
    let c = g.counters();
    assert_eq!(c.blocks, [1, 0, 0]);
    assert_eq!(c.dropped_blocked, 3);
    assert_eq!(c.connections_refused, 1);
}

#[test]
fn repeat_offenders_are_blocked_longer_up_to_the_cap() {
    let mut g = guard();
    let ua: &[u8] = b"sipvicious";
    let mut now = 0;
    let mut lengths = Vec::new();
    for _ in 0..5 {
        assert_eq!(
            g.request(SCANNER, now, Metered::Invite, Some(ua)),
            Verdict::Drop
        );
        let block = g.poll_block().unwrap();
        lengths.push(block.for_ms);
        now += block.for_ms;
        assert!(!g.drop_datagram(SCANNER, now));
    }
    assert_eq!(lengths, [1_000, 2_000, 4_000, 4_000, 4_000]);
}

#[test]
fn the_blank_entry_of_the_list_matches_nothing() {
    let mut g = guard();
    assert_eq!(
        g.request(PHONE, 0, Metered::Other, Some(b"Polycom VVX 1.0")),
        Verdict::Pass
    );
    assert_eq!(g.request(PHONE, 0, Metered::Other, None), Verdict::Pass);
}

#[test]
fn a_register_flood_is_refused_then_blocked_while_others_are_served() {
    let mut g = guard();
    // The burst passes.
    for _ in 0..10 {
        assert_eq!(register(&mut g, SCANNER, 0), Verdict::Pass);
    }
    // Then 503, for as long again.
    for _ in 0..10 {
        assert_eq!(
            register(&mut g, SCANNER, 0),
            Verdict::Refuse {
                retry_after_secs: 1
            }
        );
    }
    // Past both: blocked, and dropped from then on.
    assert_eq!(register(&mut g, SCANNER, 0), Verdict::Drop);
    assert_eq!(g.poll_block().map(|b| b.reason), Some(Reason::Flood));
    assert!(g.drop_datagram(SCANNER, 10));
    assert_eq!(register(&mut g, PHONE, 10), Verdict::Pass);
    let c = g.counters();
    assert_eq!(c.refused_register, 10);
    assert_eq!(c.blocks, [0, 0, 1]);
}

#[test]
fn a_source_within_its_rate_is_never_refused() {
    let mut g = guard();
    // Five a second is the rate: one every 200 ms for a minute.
    for i in 0..300 {
        assert_eq!(register(&mut g, PHONE, i * 200), Verdict::Pass, "at {i}");
    }
    // Twice the rate is refused half the time but never blocked.
    let mut refused = 0;
    for i in 0..600 {
        match register(&mut g, PHONE, 60_000 + i * 100) {
            Verdict::Pass => {}
            Verdict::Refuse { .. } => refused += 1,
            Verdict::Drop => panic!("blocked at {i}"),
        }
    }
    assert!((280..=310).contains(&refused), "{refused}");
    assert_eq!(g.poll_block(), None);
}

#[test]
fn invites_and_registers_have_their_own_buckets() {
    let mut g = guard();
    for _ in 0..4 {
        assert_eq!(g.request(PHONE, 0, Metered::Invite, None), Verdict::Pass);
    }
    // Two a second: the next token comes in 500 ms.
    assert_eq!(
        g.request(PHONE, 0, Metered::Invite, None),
        Verdict::Refuse {
            retry_after_secs: 1
        }
    );
    assert_eq!(register(&mut g, PHONE, 0), Verdict::Pass);
    assert_eq!(g.request(PHONE, 500, Metered::Invite, None), Verdict::Pass);
    // Requests of other methods are not metered.
    for _ in 0..1_000 {
        assert_eq!(g.request(PHONE, 500, Metered::Other, None), Verdict::Pass);
    }
}

#[test]
fn a_rate_of_zero_meters_nothing() {
    let mut g = SourceGuard::new(Settings {
        register: Rate {
            per_sec: 0,
            burst: 0,
        },
        ..settings()
    });
    for _ in 0..10_000 {
        assert_eq!(register(&mut g, PHONE, 0), Verdict::Pass);
    }
    assert_eq!(g.tracked(), 0);
}

#[test]
fn probing_answers_within_the_window_block() {
    let mut g = guard();
    // Four in a window, then the window ends: not blocked.
    for i in 0..4 {
        g.probed(SCANNER, i * 1_000);
    }
    g.probed(SCANNER, 60_000);
    assert!(!g.drop_datagram(SCANNER, 60_000));
    for _ in 0..4 {
        g.probed(SCANNER, 61_000);
    }
    assert!(g.drop_datagram(SCANNER, 61_000));
    assert_eq!(
        g.poll_block(),
        Some(Block {
            source: SCANNER,
            reason: Reason::Probes,
            for_ms: 1_000,
            offences: 1
        })
    );
    // The count starts again after the block.
    g.probed(SCANNER, 62_000);
    assert!(!g.drop_datagram(SCANNER, 62_000));
}

#[test]
fn allowed_and_trusted_networks_are_never_blocked() {
    let mut g = guard();
    g.set_trusted(vec![Net::host(TRUNK)]);
    for ip in [OFFICE, TRUNK] {
        assert_eq!(
            g.request(ip, 0, Metered::Register, Some(b"friendly-scanner")),
            Verdict::Pass
        );
        for _ in 0..100 {
            assert_eq!(g.request(ip, 0, Metered::Invite, None), Verdict::Pass);
            g.probed(ip, 0);
        }
        assert!(!g.drop_datagram(ip, 0));
    }
    assert_eq!(g.tracked(), 0);
    assert_eq!(g.poll_block(), None);
    // A blocked address that becomes a trunk's is released.
    g.request(SCANNER, 0, Metered::Other, Some(b"sipvicious"));
    assert!(g.drop_datagram(SCANNER, 1));
    g.set_trusted(vec![Net::host(TRUNK), Net::host(SCANNER)]);
    assert!(!g.drop_datagram(SCANNER, 2));
    // Mapped IPv6 forms are the same address.
    let mapped: IpAddr = "::ffff:10.9.9.9".parse().unwrap();
    assert!(g.is_exempt(mapped));
}

#[test]
fn a_spoofed_flood_keeps_the_table_bounded() {
    let mut g = SourceGuard::new(Settings {
        max_sources: 100,
        block_ms: 60_000,
        max_block_ms: 60_000,
        ..settings()
    });
    // A blocked scanner that keeps sending stays blocked through the flood.
    g.request(SCANNER, 0, Metered::Other, Some(b"sipvicious"));
    for i in 1..=10_000u32 {
        let spoofed = IpAddr::V4(Ipv4Addr::from(0xca00_0000u32 + i));
        let now = u64::from(i);
        assert!(g.drop_datagram(SCANNER, now));
        g.request(spoofed, now, Metered::Invite, None);
        assert!(g.tracked() <= 100);
    }
    assert!(g.counters().evicted >= 9_000);
}

#[test]
fn idle_sources_are_swept_and_offenders_remembered_for_the_longest_block() {
    let mut g = guard();
    register(&mut g, PHONE, 0);
    g.request(SCANNER, 0, Metered::Other, Some(b"sipvicious"));
    assert_eq!(g.tracked(), 2);
    g.sweep(IDLE_MS - 1);
    assert_eq!(g.tracked(), 2);
    g.sweep(IDLE_MS);
    assert_eq!(g.tracked(), 1);
    // Blocked again before it is forgotten: the block doubles.
    g.poll_block();
    g.request(SCANNER, IDLE_MS, Metered::Other, Some(b"sipvicious"));
    assert_eq!(g.poll_block().map(|b| b.for_ms), Some(2_000));
    g.sweep(3 * IDLE_MS);
    assert_eq!(g.tracked(), 0);
}
