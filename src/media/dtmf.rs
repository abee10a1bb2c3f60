//! DTMF from callers: RFC 4733 telephone-events (sections 2.3 payload format, 2.5.1
//! sender rules: one RTP timestamp per event, the end bit, and the end packet sent
//! three times), and the two SIP INFO bodies in use, `application/dtmf-relay` and
//! `application/dtmf`. In-band tones are in [`super::goertzel`].
//!
//! [`EventReceiver`] is sans-IO: feed it each telephone-event payload with its RTP
//! timestamp and arrival time, call [`EventReceiver::handle_timeout`] when
//! [`EventReceiver::poll_timeout`] says, and take digits with
//! [`EventReceiver::poll_digit`]. A key press is reported exactly once, whether its
//! end packet arrives three times, once, or never (then the next event or a
//! timeout closes it).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How a digit reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfSource {
    Rfc4733,
    SipInfo,
    InBand,
}

/// One key press, as the owner of the leg sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digit {
    /// `0`-`9`, `*`, `#`, `A`-`D`.
    pub key: char,
    /// When the press began (first packet, INFO arrival, or first tone block).
    pub at: Instant,
    /// How long the key was held, when known.
    pub duration: Option<Duration>,
    pub source: DtmfSource,
}

const KEYS: &[u8; 16] = b"0123456789*#ABCD";

/// The key for an RFC 4733 event code (section 3.2, table 3), if it is a DTMF key.
pub fn key_of_event(event: u8) -> Option<char> {
    KEYS.get(event as usize).map(|&b| b as char)
}

/// How long an event may stay open without packets before it is reported anyway.
pub const EVENT_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy)]
struct Open {
    timestamp: u32,
    key: char,
    at: Instant,
    duration: u16,
    last_packet: Instant,
}

/// RFC 4733 receiver for one leg.
#[derive(Debug, Default)]
pub struct EventReceiver {
    open: Option<Open>,
    /// RTP timestamp of the last event reported, so retransmitted ends are ignored.
    last_done: Option<u32>,
    digits: VecDeque<Digit>,
    /// Payloads that were not a valid telephone-event (counted, then dropped).
    pub malformed: u64,
}

impl EventReceiver {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one telephone-event payload (the RTP payload, not the packet).
    pub fn handle_payload(&mut self, now: Instant, rtp_timestamp: u32, payload: &[u8]) {
        if payload.len() < 4 {
            self.malformed += 1;
            return;
        }
        let event = payload[0];
        let end = payload[1] & 0x80 != 0;
        let duration = u16::from_be_bytes([payload[2], payload[3]]);
        let Some(key) = key_of_event(event) else {
            // Flash (16) and tones other than DTMF are not key presses.
            return;
        };
        if self.last_done == Some(rtp_timestamp) {
            return; // a retransmitted end, or a late packet of a reported event
        }
        match self.open {
            Some(o) if o.timestamp == rtp_timestamp => {
                let o = self.open.as_mut().expect("matched");
                o.duration = o.duration.max(duration);
                o.last_packet = now;
            }
            Some(_) => {
                // A new event before the previous one's end arrived: close the old one.
                self.close();
                self.open = Some(Open {
                    timestamp: rtp_timestamp,
                    key,
                    at: now,
                    duration,
                    last_packet: now,
                });
            }
            None => {
                self.open = Some(Open {
                    timestamp: rtp_timestamp,
                    key,
                    at: now,
                    duration,
                    last_packet: now,
                });
            }
        }
        if end {
            self.close();
        }
    }

    fn close(&mut self) {
        if let Some(o) = self.open.take() {
            self.last_done = Some(o.timestamp);
            self.digits.push_back(Digit {
                key: o.key,
                at: o.at,
                // Duration is in 8 kHz timestamp units for the audio clock we use.
                duration: Some(Duration::from_micros(o.duration as u64 * 125)),
                source: DtmfSource::Rfc4733,
            });
        }
    }

    /// When [`Self::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.open.map(|o| o.last_packet + EVENT_TIMEOUT)
    }

    /// Closes an event whose end packets were all lost.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|t| now >= t) {
            self.close();
        }
    }

    /// The next digit to report.
    pub fn poll_digit(&mut self) -> Option<Digit> {
        self.digits.pop_front()
    }
}

/// Why a SIP INFO body carries no digit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InfoError {
    #[error("unsupported content type {0}")]
    ContentType(String),
    #[error("no DTMF signal in the body")]
    NoSignal,
}

/// Reads a digit from a SIP INFO body. `content_type` is the header value (parameters
/// allowed). `application/dtmf-relay` carries `Signal=` and `Duration=` lines (ms);
/// `application/dtmf` carries the key alone. Both accept the key as a character or
/// as its event number (`10` for `*`, `11` for `#`), as phones send either.
pub fn parse_info(content_type: &str, body: &str, now: Instant) -> Result<Digit, InfoError> {
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (signal, duration) = match ct.as_str() {
        "application/dtmf-relay" => {
            let mut signal = None;
            let mut duration = None;
            for line in body.lines() {
                let Some((k, v)) = line.split_once('=') else {
                    continue;
                };
                let (k, v) = (k.trim(), v.trim());
                if k.eq_ignore_ascii_case("signal") {
                    signal = Some(v);
                } else if k.eq_ignore_ascii_case("duration") {
                    duration = v.parse::<u64>().ok().map(Duration::from_millis);
                }
            }
            (signal.ok_or(InfoError::NoSignal)?, duration)
        }
        "application/dtmf" => (body.trim(), None),
        _ => return Err(InfoError::ContentType(ct)),
    };
    let key = signal_key(signal).ok_or(InfoError::NoSignal)?;
    Ok(Digit {
        key,
        at: now,
        duration,
        source: DtmfSource::SipInfo,
    })
}

fn signal_key(s: &str) -> Option<char> {
    if let Ok(n) = s.parse::<u8>() {
        return key_of_event(n);
    }
    let mut chars = s.chars();
    let c = chars.next()?.to_ascii_uppercase();
    if chars.next().is_some() {
        return None;
    }
    KEYS.contains(&(c as u8)).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(event: u8, end: bool, duration: u16) -> [u8; 4] {
        let d = duration.to_be_bytes();
        [event, (end as u8) << 7 | 10, d[0], d[1]]
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn one_digit_per_event_despite_three_end_packets() {
        let t0 = Instant::now();
        let mut rx = EventReceiver::new();
        for i in 0..5u16 {
            rx.handle_payload(
                t0 + ms(20 * i as u64),
                1000,
                &payload(5, false, 160 * (i + 1)),
            );
        }
        assert_eq!(rx.poll_digit(), None, "reported at the end, once");
        for i in 0..3 {
            rx.handle_payload(t0 + ms(100 + 20 * i), 1000, &payload(5, true, 960));
        }
        let d = rx.poll_digit().unwrap();
        assert_eq!(
            (d.key, d.at, d.duration, d.source),
            ('5', t0, Some(ms(120)), DtmfSource::Rfc4733)
        );
        assert_eq!(rx.poll_digit(), None);
        assert_eq!(rx.poll_timeout(), None);
        // The same key again is a new event (a new timestamp).
        rx.handle_payload(t0 + ms(400), 3000, &payload(5, false, 160));
        rx.handle_payload(t0 + ms(420), 3000, &payload(5, true, 320));
        rx.handle_payload(t0 + ms(440), 3000, &payload(5, true, 320));
        assert_eq!(rx.poll_digit().map(|d| d.key), Some('5'));
        assert_eq!(rx.poll_digit(), None);
    }

    #[test]
    fn lost_end_packets_are_closed_by_the_next_event_or_a_timeout() {
        let t0 = Instant::now();
        let mut rx = EventReceiver::new();
        rx.handle_payload(t0, 100, &payload(1, false, 160));
        rx.handle_payload(t0 + ms(200), 2000, &payload(11, false, 160));
        assert_eq!(rx.poll_digit().map(|d| d.key), Some('1'));
        assert_eq!(rx.poll_timeout(), Some(t0 + ms(200) + EVENT_TIMEOUT));
        rx.handle_timeout(t0 + ms(300));
        assert_eq!(rx.poll_digit(), None);
        rx.handle_timeout(t0 + ms(700));
        assert_eq!(rx.poll_digit().map(|d| d.key), Some('#'));
        // A late end for that event changes nothing.
        rx.handle_payload(t0 + ms(710), 2000, &payload(11, true, 800));
        assert_eq!(rx.poll_digit(), None);
    }

    #[test]
    fn short_and_non_dtmf_payloads_are_ignored() {
        let mut rx = EventReceiver::new();
        let t0 = Instant::now();
        rx.handle_payload(t0, 1, &[1, 2]);
        rx.handle_payload(t0, 1, &payload(16, true, 100)); // flash
        assert_eq!((rx.poll_digit(), rx.malformed), (None, 1));
    }

    #[test]
    fn sip_info_bodies() {
        let now = Instant::now();
        let d = parse_info(
            "application/dtmf-relay",
            "Signal=5\r\nDuration=160\r\n",
            now,
        )
        .unwrap();
        assert_eq!(
            (d.key, d.duration, d.source),
            ('5', Some(ms(160)), DtmfSource::SipInfo)
        );
        let d = parse_info(
            "Application/DTMF-Relay; charset=x",
            "signal = #\nduration= 250",
            now,
        )
        .unwrap();
        assert_eq!(d.key, '#');
        assert_eq!(
            parse_info("application/dtmf-relay", "Signal=10\r\n", now)
                .unwrap()
                .key,
            '*'
        );
        assert_eq!(
            parse_info("application/dtmf", "7\r\n", now).unwrap().key,
            '7'
        );
        assert_eq!(parse_info("application/dtmf", "11", now).unwrap().key, '#');
        assert_eq!(parse_info("application/dtmf", "d", now).unwrap().key, 'D');
        assert_eq!(
            parse_info("application/dtmf-relay", "Duration=100", now),
            Err(InfoError::NoSignal)
        );
        assert_eq!(
            parse_info("application/dtmf", "55", now),
            Err(InfoError::NoSignal)
        );
        assert_eq!(
            parse_info("application/dtmf", "x", now),
            Err(InfoError::NoSignal)
        );
        assert!(matches!(
            parse_info("text/plain", "5", now),
            Err(InfoError::ContentType(_))
        ));
    }
}
