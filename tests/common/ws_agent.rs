//! A browser's signalling side for tests and the load tool: a SIP user agent
//! over WebSocket (RFC 7118) that registers an agent's extension with digest
//! (an `*.invalid` Contact, as browsers do) and takes the INVITEs it is sent.
//! Messages are plain text; only what the tests need is understood.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use md5::{Digest, Md5};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const DOMAIN: &str = "switchboard.local";

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One SIP message as text, with header lookups.
#[derive(Debug, Clone)]
pub struct Text(pub String);

impl Text {
    pub fn start_line(&self) -> &str {
        self.0.lines().next().unwrap_or("")
    }

    pub fn is_request(&self, method: &str) -> bool {
        self.start_line().starts_with(&format!("{method} "))
    }

    pub fn status(&self) -> Option<u16> {
        let l = self.start_line();
        l.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
    }

    /// Every value of header `name` (full name, case-insensitive).
    pub fn headers(&self, name: &str) -> Vec<&str> {
        let head = self.0.split("\r\n\r\n").next().unwrap_or("");
        head.lines()
            .skip(1)
            .filter_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
            })
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers(name).into_iter().next()
    }

    pub fn body(&self) -> &str {
        self.0.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("")
    }
}

/// A registered browser agent.
pub struct WsAgent {
    ws: Ws,
    pub user: String,
    password: String,
    /// The `*.invalid` host of our Contact.
    pub host: String,
    cseq: u32,
    /// Messages read while waiting for something else.
    backlog: Vec<Text>,
}

/// An INVITE we were sent, and the dialog it makes.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub invite: Text,
    pub to_tag: String,
}

fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

fn param<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    let start = header.find(&format!("{name}=\""))? + name.len() + 2;
    let end = header[start..].find('"')? + start;
    Some(&header[start..end])
}

fn token() -> String {
    format!("{:x}", rand::random::<u64>())
}

impl WsAgent {
    /// Connects to the server's `/sip` WebSocket.
    pub async fn connect(http: SocketAddr, user: &str, password: &str) -> WsAgent {
        let mut request = format!("ws://{http}/sip").into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "sip".parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the SIP WebSocket");
        WsAgent {
            ws,
            user: user.into(),
            password: password.into(),
            host: format!("{}.invalid", token()),
            cseq: 1,
            backlog: Vec::new(),
        }
    }

    pub async fn send(&mut self, text: String) {
        self.ws
            .send(WsMessage::text(text))
            .await
            .expect("sending over the WebSocket");
    }

    /// The next SIP message, or `None` after `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Text> {
        if !self.backlog.is_empty() {
            return Some(self.backlog.remove(0));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(Some(Ok(WsMessage::Text(t)))) => return Some(Text(t.to_string())),
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
    }

    /// The next message that `pick` accepts; others wait in the backlog.
    pub async fn next_matching(
        &mut self,
        wait: Duration,
        pick: impl Fn(&Text) -> bool,
    ) -> Option<Text> {
        if let Some(i) = self.backlog.iter().position(&pick) {
            return Some(self.backlog.remove(i));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let m = match tokio::time::timeout(left, self.ws.next()).await {
                Ok(Some(Ok(WsMessage::Text(t)))) => Text(t.to_string()),
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            };
            if pick(&m) {
                return Some(m);
            }
            self.backlog.push(m);
        }
    }

    fn register_request(&mut self, auth: Option<String>, expires: u32) -> String {
        let cseq = self.cseq;
        self.cseq += 1;
        let (user, host) = (&self.user, &self.host);
        let auth = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        format!(
            "REGISTER sip:{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/WSS {host};branch=z9hG4bK{}\r\n\
             Max-Forwards: 70\r\nTo: <sip:{user}@{DOMAIN}>\r\nFrom: <sip:{user}@{DOMAIN}>;tag=reg{user}\r\n\
             Call-ID: reg-{user}-{host}\r\nCSeq: {cseq} REGISTER\r\n\
             Contact: <sip:{user}@{host};transport=ws>;expires={expires}\r\n{auth}Content-Length: 0\r\n\r\n",
            token()
        )
    }

    /// Registers (answering the digest challenge); returns the final status.
    pub async fn register(&mut self) -> u16 {
        self.register_for(600).await
    }

    pub async fn register_for(&mut self, expires: u32) -> u16 {
        let first = self.register_request(None, expires);
        self.send(first).await;
        let wait = Duration::from_secs(10);
        let challenge = self
            .next_matching(wait, |m| {
                m.header("CSeq").is_some_and(|c| c.ends_with("REGISTER"))
            })
            .await
            .expect("an answer to REGISTER");
        if challenge.status() != Some(401) {
            return challenge.status().unwrap_or(0);
        }
        let www = challenge
            .headers("WWW-Authenticate")
            .into_iter()
            .find(|h| h.contains("MD5"))
            .expect("an MD5 challenge")
            .to_owned();
        let realm = param(&www, "realm").unwrap_or("").to_owned();
        let nonce = param(&www, "nonce").unwrap_or("").to_owned();
        let ha1 = md5_hex(&format!("{}:{realm}:{}", self.user, self.password));
        let uri = format!("sip:{DOMAIN}");
        let ha2 = md5_hex(&format!("REGISTER:{uri}"));
        let response = md5_hex(&format!("{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}"));
        let auth = format!(
            "Digest username=\"{}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", \
             response=\"{response}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c0ffee\"",
            self.user
        );
        let second = self.register_request(Some(auth), expires);
        self.send(second).await;
        let ok = self
            .next_matching(wait, |m| {
                m.header("CSeq").is_some_and(|c| c.ends_with("REGISTER"))
            })
            .await
            .expect("an answer to the authenticated REGISTER");
        ok.status().unwrap_or(0)
    }

    /// Waits for an INVITE and answers 180 Ringing.
    pub async fn ringing(&mut self, wait: Duration) -> Option<Incoming> {
        let invite = self.next_matching(wait, |m| m.is_request("INVITE")).await?;
        let incoming = Incoming {
            invite,
            to_tag: token(),
        };
        let ringing = self.response(&incoming, 180, "Ringing", None);
        self.send(ringing).await;
        Some(incoming)
    }

    /// A response to the INVITE, with our tag and Contact, and a body if given.
    pub fn response(&self, i: &Incoming, status: u16, reason: &str, sdp: Option<&str>) -> String {
        let mut out = format!("SIP/2.0 {status} {reason}\r\n");
        for v in i.invite.headers("Via") {
            out.push_str(&format!("Via: {v}\r\n"));
        }
        out.push_str(&format!(
            "From: {}\r\n",
            i.invite.header("From").unwrap_or("")
        ));
        let to = i.invite.header("To").unwrap_or("");
        if status > 100 && !to.contains(";tag=") {
            out.push_str(&format!("To: {to};tag={}\r\n", i.to_tag));
        } else {
            out.push_str(&format!("To: {to}\r\n"));
        }
        out.push_str(&format!(
            "Call-ID: {}\r\nCSeq: {}\r\n",
            i.invite.header("Call-ID").unwrap_or(""),
            i.invite.header("CSeq").unwrap_or("")
        ));
        if (200..300).contains(&status) || status == 180 {
            out.push_str(&format!(
                "Contact: <sip:{}@{};transport=ws>\r\n",
                self.user, self.host
            ));
        }
        match sdp {
            Some(sdp) => out.push_str(&format!(
                "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
                sdp.len()
            )),
            None => out.push_str("Content-Length: 0\r\n\r\n"),
        }
        out
    }

    /// Answers with our offer and returns the ACK (whose body is the answer).
    pub async fn answer(&mut self, i: &Incoming, offer: &str) -> Option<Text> {
        let ok = self.response(i, 200, "OK", Some(offer));
        self.send(ok).await;
        let call_id = i.invite.header("Call-ID").unwrap_or("").to_owned();
        self.next_matching(Duration::from_secs(10), |m| {
            m.is_request("ACK") && m.header("Call-ID") == Some(call_id.as_str())
        })
        .await
    }

    /// Refuses the INVITE (486 Busy Here, as a browser's reject does).
    pub async fn reject(&mut self, i: &Incoming) {
        let busy = self.response(i, 486, "Busy Here", None);
        self.send(busy).await;
    }

    /// Waits for a BYE in the INVITE's dialog and answers 200.
    pub async fn bye_received(&mut self, i: &Incoming, wait: Duration) -> bool {
        let call_id = i.invite.header("Call-ID").unwrap_or("").to_owned();
        let Some(bye) = self
            .next_matching(wait, |m| {
                m.is_request("BYE") && m.header("Call-ID") == Some(call_id.as_str())
            })
            .await
        else {
            return false;
        };
        let mut out = String::from("SIP/2.0 200 OK\r\n");
        for v in bye.headers("Via") {
            out.push_str(&format!("Via: {v}\r\n"));
        }
        for h in ["From", "To", "Call-ID", "CSeq"] {
            out.push_str(&format!("{h}: {}\r\n", bye.header(h).unwrap_or("")));
        }
        out.push_str("Content-Length: 0\r\n\r\n");
        self.send(out).await;
        true
    }

    /// Hangs up the answered call (BYE to the INVITE's Contact).
    pub async fn hang_up(&mut self, i: &Incoming) {
        let target = i
            .invite
            .header("Contact")
            .and_then(|c| Some(c.split('<').nth(1)?.split('>').next()?.to_owned()))
            .unwrap_or_else(|| format!("sip:{DOMAIN}"));
        let from = format!("{};tag={}", i.invite.header("To").unwrap_or(""), i.to_tag);
        let bye = format!(
            "BYE {target} SIP/2.0\r\nVia: SIP/2.0/WSS {};branch=z9hG4bK{}\r\nMax-Forwards: 70\r\n\
             From: {from}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
            self.host,
            token(),
            i.invite.header("From").unwrap_or(""),
            i.invite.header("Call-ID").unwrap_or(""),
        );
        self.send(bye).await;
    }

    /// Closes the WebSocket (a tab closed or reloaded).
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
