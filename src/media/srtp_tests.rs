use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn rfc_master() -> MasterKey {
    MasterKey::from_bytes(&hex(
        "E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6",
    ))
    .unwrap()
}

/// RFC 3711 appendix B.3 (and the SRTCP labels from the same master key).
#[test]
fn key_derivation_matches_rfc_3711_b3() {
    let master = rfc_master();
    let mut key = [0u8; 16];
    master.derive(0, &mut key);
    assert_eq!(key.to_vec(), hex("C61E7A93744F39EE10734AFE3FF7A087"));
    let mut salt = [0u8; 14];
    master.derive(2, &mut salt);
    assert_eq!(salt.to_vec(), hex("30CBBC08863D8C85D49DB34A9AE1"));
    let mut auth = [0u8; 20];
    master.derive(1, &mut auth);
    assert_eq!(
        auth.to_vec(),
        hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
    );
    master.derive(3, &mut key);
    assert_eq!(key.to_vec(), hex("4C1AA45A81F73D61C800BBB00FBB1EAA"));
    master.derive(5, &mut salt);
    assert_eq!(salt.to_vec(), hex("9581C7AD87B3E530BF3E4454A8B3"));
}

/// RFC 3711 appendix B.2: the AES-CM keystream for SSRC 0 at index 0.
#[test]
fn keystream_matches_rfc_3711_b2() {
    let keys = SessionKeys {
        cipher: Aes128::new_from_slice(&hex("2B7E151628AED2A6ABF7158809CF4F3C")).unwrap(),
        salt: hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD").try_into().unwrap(),
        auth: <HmacSha1 as Mac>::new_from_slice(&[0; 20]).unwrap(),
    };
    let mut data = [0u8; 48];
    keys.apply_keystream(0, 0, &mut data);
    assert_eq!(
        data.to_vec(),
        hex("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB 41E95B3BB0A2E8DD477901E4FCA894C0")
    );
}

/// The inline key of RFC 4568's own example reads as 30 bytes and writes back.
#[test]
fn inline_keys_read_and_write_base64() {
    let text = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
    let key = MasterKey::from_base64(text).unwrap();
    assert_eq!(key.to_base64(), text);
    assert!(MasterKey::from_base64("c2hvcnQ=").is_none());
    assert!(MasterKey::from_base64("not base64 at all!").is_none());
    assert_ne!(MasterKey::random(), MasterKey::random());
    assert_eq!(format!("{key:?}"), "MasterKey(..)");
}

/// A G.711 packet of 160 bytes of `fill`, in `buf`; returns its length.
fn rtp(buf: &mut [u8], seq: u16, ssrc: u32, fill: u8) -> usize {
    buf[0] = 0x80;
    buf[1] = 0;
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[4..8].copy_from_slice(&(seq as u32 * 160).to_be_bytes());
    buf[8..12].copy_from_slice(&ssrc.to_be_bytes());
    buf[12..172].fill(fill);
    172
}

fn pair(suite: Suite) -> (Context, Context) {
    let key = MasterKey::random();
    (Context::new(suite, &key), Context::new(suite, &key))
}

#[test]
fn rtp_round_trips_with_both_suites_and_hides_the_payload() {
    for suite in Suite::ALL {
        let (mut tx, mut rx) = pair(suite);
        let mut buf = [0u8; 200];
        let len = rtp(&mut buf, 1000, 0x1234, 0xd5);
        let header = buf[..12].to_vec();
        let n = tx.protect_rtp(&mut buf, len).unwrap();
        assert_eq!(n, 172 + suite.rtp_tag_len());
        assert_eq!(&buf[..12], &header[..], "the header stays readable");
        assert!(buf[12..172].iter().any(|&b| b != 0xd5));
        assert_eq!(rx.unprotect_rtp(&mut buf[..n]), Ok(172));
        assert!(buf[12..172].iter().all(|&b| b == 0xd5));
    }
}

#[test]
fn a_changed_bit_or_a_wrong_key_fails_authentication() {
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_80);
    let mut other = Context::new(Suite::AesCm128HmacSha1_80, &MasterKey::random());
    let mut buf = [0u8; 200];
    let len = rtp(&mut buf, 7, 9, 1);
    let n = tx.protect_rtp(&mut buf, len).unwrap();
    let mut copy = buf;
    assert_eq!(
        other.unprotect_rtp(&mut copy[..n]),
        Err(SrtpError::AuthFailed)
    );
    copy = buf;
    copy[50] ^= 1;
    assert_eq!(rx.unprotect_rtp(&mut copy[..n]), Err(SrtpError::AuthFailed));
    // The failures did not disturb the stream.
    assert_eq!(rx.unprotect_rtp(&mut buf[..n]), Ok(len));
}

#[test]
fn a_replayed_packet_is_refused_and_late_ones_within_the_window_pass() {
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_32);
    let mut sent = Vec::new();
    for seq in 100..200u16 {
        let mut buf = [0u8; 200];
        let len = rtp(&mut buf, seq, 5, seq as u8);
        let n = tx.protect_rtp(&mut buf, len).unwrap();
        sent.push(buf[..n].to_vec());
    }
    for p in &sent[..99] {
        assert_eq!(rx.unprotect_rtp(&mut p.clone()), Ok(172));
    }
    assert_eq!(
        rx.unprotect_rtp(&mut sent[98].clone()),
        Err(SrtpError::Replayed)
    );
    // Reordered: the last packet before one held back.
    assert_eq!(rx.unprotect_rtp(&mut sent[99].clone()), Ok(172));
    assert_eq!(
        rx.unprotect_rtp(&mut sent[99].clone()),
        Err(SrtpError::Replayed)
    );
    // Older than the 64-packet window.
    assert_eq!(
        rx.unprotect_rtp(&mut sent[0].clone()),
        Err(SrtpError::Replayed)
    );
}

#[test]
fn the_rollover_counter_follows_sequence_wrap_and_reordering_across_it() {
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_80);
    let seqs: Vec<u16> = (65_530..=65_535).chain(0..6).collect();
    let mut sent: Vec<Vec<u8>> = seqs
        .iter()
        .map(|&seq| {
            let mut buf = [0u8; 200];
            let len = rtp(&mut buf, seq, 77, seq as u8);
            let n = tx.protect_rtp(&mut buf, len).unwrap();
            buf[..n].to_vec()
        })
        .collect();
    // One from before the wrap arrives after the first ones after it.
    sent.swap(5, 7);
    for p in &mut sent {
        let seq = u16::from_be_bytes([p[2], p[3]]);
        assert_eq!(rx.unprotect_rtp(p), Ok(172), "seq {seq}");
        assert_eq!(p[12], seq as u8, "seq {seq} decrypted under the right ROC");
    }
}

#[test]
fn a_new_source_is_accepted_and_the_old_one_keeps_its_replay_window() {
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_80);
    let mut a = [0u8; 200];
    let len = rtp(&mut a, 10, 1, 1);
    let na = tx.protect_rtp(&mut a, len).unwrap();
    let mut b = [0u8; 200];
    let len = rtp(&mut b, 5000, 2, 2);
    let nb = tx.protect_rtp(&mut b, len).unwrap();
    let (mut a2, mut b2) = (a, b);
    assert_eq!(rx.unprotect_rtp(&mut a2[..na]), Ok(172));
    assert_eq!(rx.unprotect_rtp(&mut b2[..nb]), Ok(172));
    assert_eq!(rx.unprotect_rtp(&mut a[..na]), Err(SrtpError::Replayed));
}

#[test]
fn rtcp_round_trips_and_is_authenticated_and_replay_checked() {
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_32);
    let mut buf = [0u8; 100];
    // An RR with no report blocks and an SDES chunk's worth of bytes.
    buf[..8].copy_from_slice(&[0x80, 201, 0, 1, 0, 0, 0, 42]);
    buf[8..28].fill(0x55);
    let n = tx.protect_rtcp(&mut buf, 28).unwrap();
    assert_eq!(n, 28 + RTCP_OVERHEAD);
    assert!(buf[8..28].iter().any(|&b| b != 0x55));
    let mut tampered = buf;
    tampered[10] ^= 0x80;
    assert_eq!(
        rx.unprotect_rtcp(&mut tampered[..n]),
        Err(SrtpError::AuthFailed)
    );
    let mut copy = buf;
    assert_eq!(rx.unprotect_rtcp(&mut copy[..n]), Ok(28));
    assert!(copy[8..28].iter().all(|&b| b == 0x55));
    assert_eq!(rx.unprotect_rtcp(&mut buf[..n]), Err(SrtpError::Replayed));
}

#[test]
fn short_or_garbled_packets_are_errors_never_panics() {
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_80);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for len in 0..64 {
        for _ in 0..50 {
            let mut buf = [0u8; 64];
            for b in &mut buf[..len] {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *b = seed as u8;
            }
            // Version 2 half of the time, to reach past the first check.
            if len > 0 && seed & 1 == 0 {
                buf[0] = 0x80 | (buf[0] & 0x3f);
            }
            let mut copy = buf;
            assert!(rx.unprotect_rtp(&mut copy[..len]).is_err());
            copy = buf;
            assert!(rx.unprotect_rtcp(&mut copy[..len]).is_err());
            copy = buf;
            let _ = tx.protect_rtp(&mut copy[..len], len);
            copy = buf;
            let _ = tx.protect_rtcp(&mut copy, len);
        }
    }
    let mut buf = [0u8; 172];
    let len = rtp(&mut buf, 1, 1, 0);
    assert_eq!(tx.protect_rtp(&mut buf, len), Err(SrtpError::NoRoom));
    assert_eq!(tx.protect_rtcp(&mut buf[..20], 20), Err(SrtpError::NoRoom));
}
