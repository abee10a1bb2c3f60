//! Transfer requests at the edge of the call: reading a REFER (RFC 3515),
//! finding what its target names, and the REFER's answers.
//!
//! A target is a queue number (or an inbound route's number) or an agent's
//! extension; a Refer-To with `?Replaces=` names a consultation call to take
//! the target agent from (attended transfer, see [`crate::call::consult`]). For an agent the dispatch core is asked first: it takes the
//! transfer only when the agent is logged in, free, and Available or in a
//! Transferable status, and then keeps other work from them until the
//! transfer ends.

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::acd::CallId;
use crate::sip::message::{HeaderName, Method, NameAddr, Request};

use super::super::consult::Replaces;
use super::super::dispatch::DispatchInput;
use super::super::flow::{TransferTo, TransferVerdict};
use super::super::metrics::CallMetrics;
use super::super::Services;

fn refer_to() -> HeaderName {
    HeaderName::Other(Bytes::from_static(b"Refer-To"))
}

/// What a REFER's Refer-To names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ReferTarget {
    /// The number or extension.
    pub user: String,
    /// The dialog the transfer replaces (an attended transfer).
    pub replaces: Option<Replaces>,
}

/// What a REFER's Refer-To names, or the response that refuses the REFER.
pub(super) fn refer_target(request: &Request) -> Result<ReferTarget, (u16, &'static str)> {
    let name = refer_to();
    let mut values = request.headers.get_all(&name);
    let (Some(value), None) = (values.next(), values.next()) else {
        // Exactly one Refer-To (RFC 3515 section 2.4.1).
        return Err((400, "Exactly one Refer-To is required"));
    };
    let target = NameAddr::parse(value.clone()).map_err(|_| (400, "Malformed Refer-To"))?;
    let replaces = match target.uri.header_unescaped("Replaces") {
        None => None,
        Some(value) => {
            Some(Replaces::parse(&value).ok_or((400, "Malformed Replaces in the Refer-To"))?)
        }
    };
    let user = target
        .uri
        .user_unescaped()
        .filter(|user| !user.is_empty())
        .ok_or((404, "Refer-To names no number"))?;
    Ok(ReferTarget { user, replaces })
}

/// What `target` names, asking dispatch to start a transfer to an agent
/// under the new record's id `next`.
pub(super) async fn resolve(s: &Services, target: &str, next: CallId) -> TransferTo {
    let routing = s.routing.get();
    if let Some(queue) = routing.queue_for_number(target) {
        if queue.takes_calls() {
            return TransferTo::Queue(queue);
        }
        CallMetrics::bump(&s.metrics.text_queue_refused);
        tracing::info!(%target, "transfer to a text queue refused");
        return TransferTo::Unknown;
    }
    let Some(agent) = routing.agent_of(target) else {
        return TransferTo::Unknown;
    };
    let Some(aor) = routing.aor_of(agent).map(str::to_owned) else {
        return TransferTo::Unknown;
    };
    let (reply, answer) = oneshot::channel();
    let asked = s
        .dispatch
        .send(DispatchInput::StartTransfer {
            call: next,
            agent,
            reply,
        })
        .await
        .is_ok();
    let accepted = asked && answer.await.unwrap_or(false);
    TransferTo::Agent {
        agent,
        aor,
        accepted,
    }
}

/// The REFER's final response for the core's verdict.
pub(super) fn status_of(verdict: TransferVerdict) -> (u16, &'static str) {
    match verdict {
        TransferVerdict::Accepted => (202, "Accepted"),
        TransferVerdict::Forbidden => (403, "Transfer target not available"),
        TransferVerdict::NotFound => (404, "Transfer target not found"),
        TransferVerdict::NotNow => (481, "Call/Transaction Does Not Exist"),
        // The REFER itself is fine; its NOTIFY carries the failure.
        TransferVerdict::NoDialog | TransferVerdict::Failed { .. } => (202, "Accepted"),
    }
}

/// The sipfrag of the NOTIFY that says a transfer is under way.
pub(super) const TRYING: &str = "SIP/2.0 100 Trying\r\n";

/// The sipfrag the final NOTIFY carries for an accepted REFER.
pub(super) fn sipfrag_of(verdict: TransferVerdict) -> String {
    match verdict {
        TransferVerdict::NoDialog => "SIP/2.0 481 Call/Transaction Does Not Exist\r\n".into(),
        TransferVerdict::Failed { status } => {
            format!("SIP/2.0 {status} {}\r\n", reason_of(status))
        }
        _ => "SIP/2.0 200 OK\r\n".into(),
    }
}

/// A reason phrase for a failed transfer's status.
fn reason_of(status: u16) -> &'static str {
    match status {
        404 => "Not Found",
        408 => "Request Timeout",
        480 => "Temporarily Unavailable",
        486 => "Busy Here",
        487 => "Request Terminated",
        503 => "Service Unavailable",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => "Failed",
    }
}

/// Makes `notify` a NOTIFY of the implicit subscription `refer` created:
/// how the transfer goes (`sipfrag`: 100 while under way, 200 when it went
/// through); with `last`, the subscription is over (RFC 3515 sections 2.4.4
/// to 2.4.6).
pub(super) fn fill_notify(notify: &mut Request, refer: &Request, sipfrag: &str, last: bool) {
    debug_assert_eq!(notify.method, Method::Notify);
    let event = match refer.cseq() {
        Ok(cseq) => format!("refer;id={}", cseq.seq),
        Err(_) => "refer".to_owned(),
    };
    notify.headers.push(HeaderName::Event, event);
    let state = if last {
        "terminated;reason=noresource"
    } else {
        "active;expires=60"
    };
    notify.headers.push(
        HeaderName::Other(Bytes::from_static(b"Subscription-State")),
        state,
    );
    notify
        .headers
        .push(HeaderName::ContentType, "message/sipfrag;version=2.0");
    notify.body = Bytes::copy_from_slice(sipfrag.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refer(refer_to: &[&str]) -> Request {
        let mut text = String::from(
            "REFER sip:svc@192.0.2.1 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK1\r\n\
             From: <sip:1001@example.com>;tag=a\r\n\
             To: <sip:svc@example.com>;tag=b\r\n\
             Call-ID: c1\r\n\
             CSeq: 7 REFER\r\n\
             Max-Forwards: 70\r\n",
        );
        for value in refer_to {
            text.push_str(&format!("Refer-To: {value}\r\n"));
        }
        text.push_str("Content-Length: 0\r\n\r\n");
        match crate::sip::message::parse(Bytes::from(text)) {
            Ok(crate::sip::message::Message::Request(r)) => r,
            other => panic!("test REFER does not parse: {other:?}"),
        }
    }

    #[test]
    fn the_target_is_the_refer_to_user() {
        let user = |r: &Request| refer_target(r).map(|t| t.user);
        assert_eq!(
            user(&refer(&["<sip:2000@example.com>"])),
            Ok("2000".to_owned())
        );
        assert_eq!(
            user(&refer(&["sip:1002@example.com"])),
            Ok("1002".to_owned())
        );
        assert_eq!(
            refer_target(&refer(&["<sip:2000@example.com>"])).map(|t| t.replaces),
            Ok(None)
        );
    }

    #[test]
    fn a_refer_without_exactly_one_target_is_a_bad_request() {
        assert_eq!(refer_target(&refer(&[])).unwrap_err().0, 400);
        let two = refer(&["<sip:1@example.com>", "<sip:2@example.com>"]);
        assert_eq!(refer_target(&two).unwrap_err().0, 400);
        assert_eq!(refer_target(&refer(&["<not a uri"])).unwrap_err().0, 400);
        assert_eq!(
            refer_target(&refer(&["<sip:example.com>"])).unwrap_err().0,
            404
        );
    }

    #[test]
    fn an_attended_transfer_names_the_dialog_it_replaces() {
        let with_replaces =
            refer(&["<sip:1002@example.com?Replaces=abc%40192.0.2.9%3Bto-tag%3D1%3Bfrom-tag%3D2>"]);
        assert_eq!(
            refer_target(&with_replaces),
            Ok(ReferTarget {
                user: "1002".into(),
                replaces: Some(Replaces {
                    call_id: "abc@192.0.2.9".into(),
                    to_tag: "1".into(),
                    from_tag: "2".into(),
                }),
            })
        );
        let without_tags = refer(&["<sip:1002@example.com?Replaces=abc>"]);
        assert_eq!(refer_target(&without_tags).unwrap_err().0, 400);
    }

    #[test]
    fn the_final_notify_carries_a_sipfrag_and_ends_the_subscription() {
        let r = refer(&["<sip:2000@example.com>"]);
        let mut notify = r.clone();
        notify.method = Method::Notify;
        fill_notify(
            &mut notify,
            &r,
            &sipfrag_of(TransferVerdict::Accepted),
            true,
        );
        assert_eq!(
            notify.headers.get_str(&HeaderName::Event),
            Some("refer;id=7")
        );
        assert_eq!(&notify.body[..], b"SIP/2.0 200 OK\r\n");
        assert_eq!(
            notify
                .headers
                .get_str(&HeaderName::Other(Bytes::from_static(
                    b"subscription-state"
                ))),
            Some("terminated;reason=noresource")
        );
        assert_eq!(
            sipfrag_of(TransferVerdict::NoDialog),
            "SIP/2.0 481 Call/Transaction Does Not Exist\r\n"
        );
        assert_eq!(status_of(TransferVerdict::NoDialog).0, 202);
        assert_eq!(
            sipfrag_of(TransferVerdict::Failed { status: 486 }),
            "SIP/2.0 486 Busy Here\r\n"
        );
        let mut trying = r.clone();
        trying.method = Method::Notify;
        fill_notify(&mut trying, &r, TRYING, false);
        assert_eq!(&trying.body[..], b"SIP/2.0 100 Trying\r\n");
        assert_eq!(
            trying
                .headers
                .get_str(&HeaderName::Other(Bytes::from_static(
                    b"Subscription-State"
                ))),
            Some("active;expires=60")
        );
    }
}
