//! Consultation calls and the attended transfer that ends them (RFC 5589
//! section 7, RFC 3891 Replaces, RFC 3515 REFER).
//!
//! An agent talking to a caller puts them on hold and calls a colleague by
//! extension: an internal call ([`super::dial`] with an agent as callee,
//! run by [`super::outbound_call`]). The agent's phone then sends REFER in
//! the caller's dialog, its Refer-To naming the colleague with `?Replaces=`
//! the consultation's dialog as the phone sees it. Switchboard plays the
//! transferee: rather than INVITE anyone, the queue call asks the
//! consultation's task for the colleague's answered leg ([`Handover`]) and
//! bridges the caller to it; the consultation's task hangs up the agent.
//!
//! The registry finds a consultation by its dialog: the Call-ID of the
//! agent's INVITE, our tag and the phone's. RFC 3891 section 3 has the
//! receiver compare the to-tag with its own tag and the from-tag with the
//! peer's; a phone that writes them the other way round is matched too,
//! since the Call-ID already singles the dialog out and both tags must
//! still agree.
//!
//! The colleague's media leg must sit on the caller's media worker to be
//! bridged, so an internal call places its legs on the worker of the call
//! the calling agent is connected to ([`super::Registry::agent_worker`]).

use crate::acd::{AgentId, CallId};

use super::agent_leg::AgentLeg;

/// A dialog named by a Replaces header or a Refer-To's `Replaces=` (RFC 3891
/// section 6.1): `call-id;to-tag=..;from-tag=..` and maybe `early-only`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaces {
    pub call_id: String,
    pub to_tag: String,
    pub from_tag: String,
}

impl Replaces {
    /// Reads a Replaces value (already unescaped); `None` when the Call-ID or
    /// either tag is missing.
    pub fn parse(value: &str) -> Option<Replaces> {
        let mut parts = value.split(';').map(str::trim);
        let call_id = parts.next().filter(|c| !c.is_empty())?.to_owned();
        let (mut to_tag, mut from_tag) = (None, None);
        for part in parts {
            let (name, v) = part.split_once('=').unwrap_or((part, ""));
            if name.eq_ignore_ascii_case("to-tag") {
                to_tag = Some(v.trim().to_owned());
            } else if name.eq_ignore_ascii_case("from-tag") {
                from_tag = Some(v.trim().to_owned());
            }
        }
        Some(Replaces {
            call_id,
            to_tag: to_tag.filter(|t| !t.is_empty())?,
            from_tag: from_tag.filter(|t| !t.is_empty())?,
        })
    }
}

/// An internal call the registry can find by its dialog with the calling
/// agent's phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consultation {
    /// The internal call's id (its task is found under it).
    pub call: CallId,
    /// The agent who called.
    pub agent: AgentId,
    pub call_id: String,
    /// Our To tag in the agent's dialog.
    pub local_tag: String,
    /// The agent's phone's From tag.
    pub remote_tag: String,
}

impl Consultation {
    /// Whether `r` names this consultation's dialog.
    pub fn is_named_by(&self, r: &Replaces) -> bool {
        r.call_id == self.call_id
            && ((r.to_tag == self.local_tag && r.from_tag == self.remote_tag)
                || (r.to_tag == self.remote_tag && r.from_tag == self.local_tag))
    }
}

/// What an internal call hands to the queue call that takes its callee over.
#[derive(Debug)]
pub struct Handover {
    /// The called agent's answered leg, with its media.
    pub leg: AgentLeg,
    pub agent: AgentId,
    /// The id dispatch holds the called agent under; the queue call's new
    /// record takes it, so the reservation and the record end together.
    pub reservation: CallId,
    /// Told (or dropped) once the queue call has answered the REFER and
    /// hung up the agent's leg there: only then is the consultation's own
    /// dialog with the agent ended, so the phone hears of the transfer
    /// first (RFC 5589 section 7.1) and always in the same order.
    pub taken: tokio::sync::oneshot::Sender<()>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consultation() -> Consultation {
        Consultation {
            call: CallId(5),
            agent: AgentId(1),
            call_id: "abc@192.0.2.9".into(),
            local_tag: "ours".into(),
            remote_tag: "phone".into(),
        }
    }

    #[test]
    fn replaces_values_are_read_with_their_tags() {
        assert_eq!(
            Replaces::parse("abc@192.0.2.9;to-tag=ours;from-tag=phone"),
            Some(Replaces {
                call_id: "abc@192.0.2.9".into(),
                to_tag: "ours".into(),
                from_tag: "phone".into(),
            })
        );
        assert_eq!(
            Replaces::parse("abc; From-Tag=phone ;early-only; TO-TAG=ours")
                .map(|r| (r.to_tag, r.from_tag)),
            Some(("ours".into(), "phone".into()))
        );
        for bad in [
            "",
            ";to-tag=a;from-tag=b",
            "abc;to-tag=a",
            "abc;to-tag=;from-tag=b",
        ] {
            assert_eq!(Replaces::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_consultation_is_found_by_its_whole_dialog_id() {
        let c = consultation();
        let named = |call_id: &str, to: &str, from: &str| {
            c.is_named_by(&Replaces {
                call_id: call_id.into(),
                to_tag: to.into(),
                from_tag: from.into(),
            })
        };
        assert!(named("abc@192.0.2.9", "ours", "phone"), "RFC 3891 order");
        assert!(
            named("abc@192.0.2.9", "phone", "ours"),
            "the phone's own view"
        );
        assert!(!named("abc@192.0.2.9", "ours", "other"));
        assert!(!named("abc@192.0.2.9", "ours", "ours"));
        assert!(!named("xyz@192.0.2.9", "ours", "phone"));
    }
}
