//! Just enough STUN (RFC 8489) to route a connectivity check to its leg.

/// Our ICE username fragment from a STUN binding request: the part of the
/// USERNAME attribute before the colon (RFC 8445 section 7.2.2). `None` for
/// anything that is not a STUN message with a USERNAME.
pub fn local_ufrag(buf: &[u8]) -> Option<&str> {
    const MAGIC: [u8; 4] = [0x21, 0x12, 0xa4, 0x42];
    const USERNAME: u16 = 0x0006;
    if buf.len() < 20 || buf[0] & 0xc0 != 0 || buf[4..8] != MAGIC {
        return None;
    }
    let len = u16::from_be_bytes([buf[2], buf[3]]) as usize;
    let end = (20 + len).min(buf.len());
    let mut i = 20;
    while i + 4 <= end {
        let kind = u16::from_be_bytes([buf[i], buf[i + 1]]);
        let n = u16::from_be_bytes([buf[i + 2], buf[i + 3]]) as usize;
        let value = buf.get(i + 4..i + 4 + n)?;
        if kind == USERNAME {
            let username = std::str::from_utf8(value).ok()?;
            return username.split(':').next();
        }
        i += 4 + ((n + 3) & !3);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (kind, value) in attrs {
            body.extend_from_slice(&kind.to_be_bytes());
            body.extend_from_slice(&(value.len() as u16).to_be_bytes());
            body.extend_from_slice(value);
            while body.len() % 4 != 0 {
                body.push(0);
            }
        }
        let mut m = vec![0x00, 0x01];
        m.extend_from_slice(&(body.len() as u16).to_be_bytes());
        m.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
        m.extend_from_slice(&[7; 12]);
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn finds_our_fragment_after_other_attributes() {
        let m = request(&[(0x0024, &[0, 0, 0, 1]), (0x0006, b"srv1:brw")]);
        assert_eq!(local_ufrag(&m), Some("srv1"));
    }

    #[test]
    fn refuses_what_is_not_a_check() {
        assert_eq!(local_ufrag(&request(&[(0x0024, &[0; 4])])), None);
        assert_eq!(local_ufrag(&[0x80; 40]), None);
        let mut m = request(&[(0x0006, b"a:b")]);
        m.truncate(26);
        assert_eq!(local_ufrag(&m), None);
    }
}
