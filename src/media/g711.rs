//! G.711 µ-law (PCMU) and A-law (PCMA) companding, ITU-T G.711 sections 3.2-3.4,
//! as carried by RTP payload types 0 and 8 (RFC 3551 section 4.5.14).
//!
//! Decoding and PCMU<->PCMA transcoding are 256-entry tables built at compile time,
//! so a bridge between legs of different laws rewrites a payload in place, one byte
//! per sample, without allocating. Encoding follows the ITU-T G.191 reference
//! (`ulaw_compress`/`alaw_compress`) bit for bit, including its one's-complement
//! treatment of negative samples; the tests compare all 65,536 inputs with an
//! independent transcription of that reference.

/// The two G.711 laws a leg may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// µ-law, RTP payload type 0 ("PCMU").
    Mu,
    /// A-law, RTP payload type 8 ("PCMA").
    A,
}

const MU_BIAS: i32 = 0x84;
const MU_CLIP: i32 = 32635;

/// Encodes one 16-bit linear sample as µ-law.
pub const fn encode_mu(sample: i16) -> u8 {
    let mut s = sample as i32;
    let sign = if s < 0 { 0x80 } else { 0 };
    if s < 0 {
        // One's complement, as the G.191 reference does: -1 is "negative zero".
        s = -s - 1;
    }
    if s > MU_CLIP {
        s = MU_CLIP;
    }
    s += MU_BIAS;
    let mut exponent = 7;
    let mut mask = 0x4000;
    while exponent > 0 && (s & mask) == 0 {
        exponent -= 1;
        mask >>= 1;
    }
    let mantissa = (s >> (exponent + 3)) & 0x0f;
    !((sign | (exponent << 4) | mantissa) as u8)
}

/// Decodes one µ-law byte to a 16-bit linear sample.
pub const fn decode_mu(byte: u8) -> i16 {
    let b = !byte as i32;
    let sign = b & 0x80;
    let exponent = (b >> 4) & 0x07;
    let mantissa = b & 0x0f;
    let magnitude = (((mantissa << 3) + MU_BIAS) << exponent) - MU_BIAS;
    if sign != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// Encodes one 16-bit linear sample as A-law.
pub const fn encode_a(sample: i16) -> u8 {
    let mut s = (sample as i32) >> 3; // A-law works on 13-bit magnitudes
    let sign = if s >= 0 { 0x80 } else { 0 };
    if s < 0 {
        s = -s - 1;
    }
    if s > 0x0fff {
        s = 0x0fff;
    }
    let byte = if s < 32 {
        s >> 1
    } else {
        let mut exponent = 1;
        while (s >> (exponent + 5)) > 0 {
            exponent += 1;
        }
        (exponent << 4) | ((s >> exponent) & 0x0f)
    };
    ((byte | sign) ^ 0x55) as u8
}

/// Decodes one A-law byte to a 16-bit linear sample.
pub const fn decode_a(byte: u8) -> i16 {
    let b = (byte ^ 0x55) as i32;
    let exponent = (b >> 4) & 0x07;
    let mantissa = b & 0x0f;
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    if b & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

/// Builds a 256-entry table at compile time (const fns cannot call through pointers).
macro_rules! byte_table {
    ($ty:ty, $f:expr) => {{
        let mut t = [0 as $ty; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = $f(i as u8);
            i += 1;
        }
        t
    }};
}
const fn mu_to_a(b: u8) -> u8 {
    encode_a(decode_mu(b))
}
const fn a_to_mu(b: u8) -> u8 {
    encode_mu(decode_a(b))
}
static MU_TO_A: [u8; 256] = byte_table!(u8, mu_to_a);
static A_TO_MU: [u8; 256] = byte_table!(u8, a_to_mu);
static MU_DECODE: [i16; 256] = byte_table!(i16, decode_mu);
static A_DECODE: [i16; 256] = byte_table!(i16, decode_a);

impl Law {
    /// The static RTP payload type of this law (RFC 3551 table 4).
    pub const fn payload_type(self) -> u8 {
        match self {
            Law::Mu => 0,
            Law::A => 8,
        }
    }

    /// The encoding name used in SDP `a=rtpmap`.
    pub const fn name(self) -> &'static str {
        match self {
            Law::Mu => "PCMU",
            Law::A => "PCMA",
        }
    }

    /// The byte this law uses for digital silence.
    pub const fn silence(self) -> u8 {
        match self {
            Law::Mu => 0xff,
            Law::A => 0xd5,
        }
    }

    /// Encodes one sample.
    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Law::Mu => encode_mu(sample),
            Law::A => encode_a(sample),
        }
    }

    /// Decodes one byte (a table look-up).
    #[inline]
    pub fn decode(self, byte: u8) -> i16 {
        match self {
            Law::Mu => MU_DECODE[byte as usize],
            Law::A => A_DECODE[byte as usize],
        }
    }

    /// The law carried by a static RTP payload type, if it is 0 or 8.
    pub const fn from_payload_type(pt: u8) -> Option<Law> {
        match pt {
            0 => Some(Law::Mu),
            8 => Some(Law::A),
            _ => None,
        }
    }

    /// Encodes `samples` into `out` (which must be as long), one byte per sample.
    pub fn encode_into(self, samples: &[i16], out: &mut [u8]) {
        for (o, &s) in out.iter_mut().zip(samples) {
            *o = self.encode(s);
        }
    }

    /// Decodes `bytes` into `out` (which must be as long).
    pub fn decode_into(self, bytes: &[u8], out: &mut [i16]) {
        for (o, &b) in out.iter_mut().zip(bytes) {
            *o = self.decode(b);
        }
    }
}

/// Rewrites a G.711 payload from one law to the other in place. Equal laws leave it
/// untouched. The result equals decoding with `from` and encoding with `to`.
pub fn transcode_in_place(payload: &mut [u8], from: Law, to: Law) {
    let t = match (from, to) {
        (Law::Mu, Law::A) => &MU_TO_A,
        (Law::A, Law::Mu) => &A_TO_MU,
        _ => return,
    };
    for b in payload {
        *b = t[*b as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_survives_decode_then_encode() {
        for b in 0..=255u8 {
            assert_eq!(encode_a(decode_a(b)), b, "A-law {b:#04x}");
            let m = encode_mu(decode_mu(b));
            // 0x7f and 0xff are both zero in µ-law; the encoder chooses 0xff.
            if b != 0x7f {
                assert_eq!(m, b, "µ-law {b:#04x}");
            }
        }
    }

    /// µ-law compression as ITU-T G.191 `ulaw_compress` describes it: a 14-bit
    /// magnitude plus 33, segment by leading bit, inverted nibbles.
    fn itu_ulaw(x: i16) -> u8 {
        let x = x as i32;
        let mut abs = if x < 0 { (!x) >> 2 } else { x >> 2 } + 33;
        if abs > 0x1fff {
            abs = 0x1fff;
        }
        let mut i = abs >> 6;
        let mut seg = 1;
        while i != 0 {
            seg += 1;
            i >>= 1;
        }
        let high = 8 - seg;
        let low = 0x0f - ((abs >> seg) & 0x0f);
        let mut out = (high << 4) | low;
        if x >= 0 {
            out |= 0x80;
        }
        out as u8
    }

    /// A-law compression as ITU-T G.191 `alaw_compress` describes it.
    fn itu_alaw(x: i16) -> u8 {
        let x = x as i32;
        let mut ix = if x < 0 { (!x) >> 4 } else { x >> 4 };
        if ix > 15 {
            let mut exp = 1;
            while ix > 16 + 15 {
                ix >>= 1;
                exp += 1;
            }
            ix -= 16;
            ix += exp << 4;
        }
        if x >= 0 {
            ix |= 0x80;
        }
        (ix ^ 0x55) as u8
    }

    /// G.191 `ulaw_expand` and `alaw_expand`.
    fn itu_ulaw_expand(b: u8) -> i16 {
        let sign = if b < 0x80 { -1 } else { 1 };
        let m = !(b as i32);
        let exp = (m >> 4) & 7;
        let seg = exp + 1;
        let mant = m & 0x0f;
        let step = 4 << seg;
        (sign * ((0x80 << exp) + step * mant + step / 2 - 4 * 33)) as i16
    }
    fn itu_alaw_expand(b: u8) -> i16 {
        let ix = ((b ^ 0x55) & 0x7f) as i32;
        let exp = ix >> 4;
        let mut mant = ix & 0x0f;
        if exp > 0 {
            mant += 16;
        }
        mant = (mant << 4) + 8;
        if exp > 1 {
            mant <<= exp - 1;
        }
        (if b > 127 { mant } else { -mant }) as i16
    }

    #[test]
    fn matches_the_itu_reference_for_every_input() {
        for x in i16::MIN..=i16::MAX {
            assert_eq!(encode_mu(x), itu_ulaw(x), "µ-law encode {x}");
            assert_eq!(encode_a(x), itu_alaw(x), "A-law encode {x}");
        }
        for b in 0..=255u8 {
            assert_eq!(
                Law::Mu.decode(b),
                itu_ulaw_expand(b),
                "µ-law decode {b:#04x}"
            );
            assert_eq!(
                Law::A.decode(b),
                itu_alaw_expand(b),
                "A-law decode {b:#04x}"
            );
        }
    }

    #[test]
    fn known_reference_values() {
        assert_eq!(encode_mu(0), 0xff);
        assert_eq!(encode_a(0), 0xd5);
        assert_eq!(decode_mu(0x00), -32124);
        assert_eq!(decode_mu(0x80), 32124);
        assert_eq!(decode_a(0xd5), 8);
        assert_eq!(decode_a(0x2a), -32256);
        assert_eq!(decode_a(0xaa), 32256);
    }

    #[test]
    fn quantisation_error_stays_within_the_segment_step() {
        for s in (i16::MIN as i32 + 8..=i16::MAX as i32).step_by(7) {
            let s = s as i16;
            for law in [Law::Mu, Law::A] {
                let back = law.decode(law.encode(s)) as i32;
                let err = (back - s as i32).abs();
                // The largest segment step is 1024 (µ-law) or 1024 (A-law): half of it
                // is the worst rounding error, plus the clipping near full scale.
                let bound =
                    512.max((s as i32).abs() / 16) + 700 * ((s as i32).abs() > 32000) as i32;
                assert!(err <= bound, "{law:?} {s} -> {back}");
            }
        }
    }

    #[test]
    fn transcoding_matches_decode_then_encode() {
        let mut payload: Vec<u8> = (0..=255u8).collect();
        transcode_in_place(&mut payload, Law::Mu, Law::A);
        for (i, &b) in payload.iter().enumerate() {
            assert_eq!(b, encode_a(decode_mu(i as u8)));
        }
        let mut same: Vec<u8> = (0..=255u8).collect();
        transcode_in_place(&mut same, Law::A, Law::A);
        assert!(same.iter().enumerate().all(|(i, &b)| b == i as u8));
    }
}
