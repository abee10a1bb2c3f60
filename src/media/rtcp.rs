//! RTCP sender and receiver reports, RFC 3550 sections 6.4.1 (SR), 6.4.2 (RR),
//! 6.5 (SDES CNAME, required in every compound packet, section 6.1) and 6.6 (BYE).
//!
//! [`write_report`] builds a compound packet into a caller's buffer without
//! allocating; [`parse_compound`] reads what the far end reports about us (loss and
//! jitter as it sees them) and never panics on malformed input.

/// One report block (section 6.4.1): how we hear one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    pub ssrc: u32,
    /// Loss since the previous report, 1/256 units.
    pub fraction_lost: u8,
    /// Cumulative loss, a signed 24-bit value.
    pub cumulative_lost: i32,
    pub extended_max_seq: u32,
    pub jitter: u32,
    /// Middle 32 bits of the NTP time of the last SR received from that source.
    pub last_sr: u32,
    /// Delay since that SR, 1/65536 seconds.
    pub delay_since_last_sr: u32,
}

/// Sender information of an SR (section 6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// 64-bit NTP timestamp.
    pub ntp: u64,
    pub rtp_timestamp: u32,
    pub packets: u32,
    pub octets: u32,
}

/// What one RTCP compound packet said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    pub ssrc: u32,
    pub sender: Option<SenderInfo>,
    pub blocks: Vec<ReportBlock>,
    pub bye: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtcpError {
    #[error("RTCP packet truncated")]
    Truncated,
    #[error("RTCP version is not 2")]
    Version,
    #[error("output buffer too small")]
    NoRoom,
}

const PT_SR: u8 = 200;
const PT_RR: u8 = 201;
const PT_SDES: u8 = 202;
const PT_BYE: u8 = 203;

fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

fn get_u32(buf: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

/// Writes an SR (when `sender` is given) or RR, with up to 31 report blocks, an SDES
/// CNAME chunk and, when `bye`, a BYE. Returns the length written.
pub fn write_report(
    buf: &mut [u8],
    ssrc: u32,
    sender: Option<&SenderInfo>,
    blocks: &[ReportBlock],
    cname: &str,
    bye: bool,
) -> Result<usize, RtcpError> {
    let blocks = &blocks[..blocks.len().min(31)];
    let cname = &cname.as_bytes()[..cname.len().min(255)];
    let head = 8 + if sender.is_some() { 20 } else { 0 } + 24 * blocks.len();
    // SDES: header, SSRC, item type+len+text, a null end, padded to 32 bits.
    let sdes = (8 + 2 + cname.len() + 1).div_ceil(4) * 4;
    let total = head + sdes + if bye { 8 } else { 0 };
    if buf.len() < total {
        return Err(RtcpError::NoRoom);
    }
    buf[0] = 0x80 | blocks.len() as u8;
    buf[1] = if sender.is_some() { PT_SR } else { PT_RR };
    buf[2..4].copy_from_slice(&((head / 4 - 1) as u16).to_be_bytes());
    put_u32(buf, 4, ssrc);
    let mut at = 8;
    if let Some(s) = sender {
        buf[at..at + 8].copy_from_slice(&s.ntp.to_be_bytes());
        put_u32(buf, at + 8, s.rtp_timestamp);
        put_u32(buf, at + 12, s.packets);
        put_u32(buf, at + 16, s.octets);
        at += 20;
    }
    for b in blocks {
        put_u32(buf, at, b.ssrc);
        let lost = b.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff) as u32 & 0x00ff_ffff;
        put_u32(buf, at + 4, (b.fraction_lost as u32) << 24 | lost);
        put_u32(buf, at + 8, b.extended_max_seq);
        put_u32(buf, at + 12, b.jitter);
        put_u32(buf, at + 16, b.last_sr);
        put_u32(buf, at + 20, b.delay_since_last_sr);
        at += 24;
    }
    let s = at;
    buf[s] = 0x81;
    buf[s + 1] = PT_SDES;
    buf[s + 2..s + 4].copy_from_slice(&((sdes / 4 - 1) as u16).to_be_bytes());
    put_u32(buf, s + 4, ssrc);
    buf[s + 8] = 1; // CNAME
    buf[s + 9] = cname.len() as u8;
    buf[s + 10..s + 10 + cname.len()].copy_from_slice(cname);
    buf[s + 10 + cname.len()..s + sdes].fill(0);
    at = s + sdes;
    if bye {
        buf[at] = 0x81;
        buf[at + 1] = PT_BYE;
        buf[at + 2..at + 4].copy_from_slice(&1u16.to_be_bytes());
        put_u32(buf, at + 4, ssrc);
        at += 8;
    }
    Ok(at)
}

fn read_blocks(body: &[u8], count: usize, out: &mut Vec<ReportBlock>) -> Result<(), RtcpError> {
    if body.len() < 24 * count {
        return Err(RtcpError::Truncated);
    }
    for i in 0..count {
        let b = &body[24 * i..];
        let word = get_u32(b, 4);
        // Sign-extend the 24-bit cumulative loss.
        let lost = ((word << 8) as i32) >> 8;
        out.push(ReportBlock {
            ssrc: get_u32(b, 0),
            fraction_lost: (word >> 24) as u8,
            cumulative_lost: lost,
            extended_max_seq: get_u32(b, 8),
            jitter: get_u32(b, 12),
            last_sr: get_u32(b, 16),
            delay_since_last_sr: get_u32(b, 20),
        });
    }
    Ok(())
}

/// Reads the SR, RR and BYE parts of a compound packet; other parts are skipped.
pub fn parse_compound(mut buf: &[u8]) -> Result<Report, RtcpError> {
    let mut report = Report::default();
    if buf.len() < 8 {
        return Err(RtcpError::Truncated);
    }
    while !buf.is_empty() {
        if buf.len() < 4 {
            return Err(RtcpError::Truncated);
        }
        if buf[0] >> 6 != 2 {
            return Err(RtcpError::Version);
        }
        let count = (buf[0] & 0x1f) as usize;
        let len = (u16::from_be_bytes([buf[2], buf[3]]) as usize + 1) * 4;
        if buf.len() < len {
            return Err(RtcpError::Truncated);
        }
        let part = &buf[..len];
        match part[1] {
            PT_SR if len >= 28 => {
                report.ssrc = get_u32(part, 4);
                report.sender = Some(SenderInfo {
                    ntp: u64::from_be_bytes(part[8..16].try_into().expect("8 bytes")),
                    rtp_timestamp: get_u32(part, 16),
                    packets: get_u32(part, 20),
                    octets: get_u32(part, 24),
                });
                read_blocks(&part[28..], count, &mut report.blocks)?;
            }
            PT_RR if len >= 8 => {
                report.ssrc = get_u32(part, 4);
                read_blocks(&part[8..], count, &mut report.blocks)?;
            }
            PT_SR | PT_RR => return Err(RtcpError::Truncated),
            PT_BYE => report.bye = true,
            _ => {}
        }
        buf = &buf[len..];
    }
    Ok(report)
}

/// Converts a wall-clock time (since the Unix epoch) to the 64-bit NTP format.
pub fn ntp_from_unix(since_epoch: std::time::Duration) -> u64 {
    const UNIX_TO_NTP: u64 = 2_208_988_800;
    let secs = since_epoch.as_secs() + UNIX_TO_NTP;
    let frac = ((since_epoch.subsec_nanos() as u64) << 32) / 1_000_000_000;
    secs << 32 | frac
}

/// The middle 32 bits of an NTP timestamp, as LSR carries them.
pub fn ntp_middle(ntp: u64) -> u32 {
    (ntp >> 16) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_report_round_trip_with_sdes_and_bye() {
        let sender = SenderInfo {
            ntp: 0x1122_3344_5566_7788,
            rtp_timestamp: 160,
            packets: 50,
            octets: 8000,
        };
        let block = ReportBlock {
            ssrc: 9,
            fraction_lost: 25,
            cumulative_lost: -3,
            extended_max_seq: 70_000,
            jitter: 12,
            last_sr: 0x3344_5566,
            delay_since_last_sr: 65536,
        };
        let mut buf = [0u8; 200];
        let n = write_report(&mut buf, 0xabcd, Some(&sender), &[block], "sb@host", true).unwrap();
        assert_eq!(n % 4, 0);
        let r = parse_compound(&buf[..n]).unwrap();
        assert_eq!(r.ssrc, 0xabcd);
        assert_eq!(r.sender, Some(sender));
        assert_eq!(r.blocks, vec![block]);
        assert!(r.bye);
        assert!(crate::media::rtp::is_rtcp(&buf[..n]));
    }

    #[test]
    fn receiver_report_and_truncations() {
        let mut buf = [0u8; 100];
        let n = write_report(&mut buf, 1, None, &[ReportBlock::default(); 2], "x", false).unwrap();
        let r = parse_compound(&buf[..n]).unwrap();
        assert_eq!((r.sender, r.blocks.len(), r.bye), (None, 2, false));
        for cut in 0..n {
            let _ = parse_compound(&buf[..cut]);
        }
        assert_eq!(
            write_report(&mut buf[..19], 1, None, &[], "x", false),
            Err(RtcpError::NoRoom)
        );
    }

    #[test]
    fn ntp_conversion() {
        let ntp = ntp_from_unix(std::time::Duration::from_millis(1500));
        assert_eq!(ntp >> 32, 2_208_988_801);
        assert_eq!(ntp as u32, 1 << 31);
        assert_eq!(
            ntp_middle(ntp),
            ((2_208_988_801u64 & 0xffff) << 16 | 0x8000) as u32
        );
    }
}
