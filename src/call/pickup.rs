//! Call pickup: a member of a pickup group answers, from their own desk
//! phone, a queue call that is ringing a colleague's phone.
//!
//! The phone dials a code: the group code (`*8` unless configured) takes
//! the ringing offer of any member of the picker's groups, the caller who
//! has waited longest first; the directed prefix and an extension (`**1001`)
//! takes the offer ringing that extension, when it shares a group with the
//! picker. Who may pick up whom is decided here, from the stored groups, as
//! plain functions; which offer, and whether the picker is free to take it
//! (logged in to the call's project, free as for a transfer), is the
//! dispatch core's ([`crate::acd::Engine::oldest_ringing`],
//! [`crate::acd::Event::OfferPickedUp`]). The shell is [`super::pickup_call`].
//!
//! Every refusal has its SIP status and reason phrase ([`Refusal::status`]).

use crate::acd::{AcdError, AgentId};

/// The dialled codes that ask for a pickup (`calls.pickup_group_code`,
/// `calls.pickup_directed_prefix`); an empty one asks for nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codes {
    pub group: String,
    pub directed: String,
}

impl Default for Codes {
    fn default() -> Self {
        Codes {
            group: "*8".into(),
            directed: "**".into(),
        }
    }
}

/// What a dialled pickup code asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Any ringing offer of the picker's groups.
    Group,
    /// The offer ringing this extension.
    Directed(String),
}

impl Codes {
    /// The pickup `dialled` asks for, if it is a pickup code.
    pub fn parse(&self, dialled: &str) -> Option<Request> {
        if !self.group.is_empty() && dialled == self.group {
            return Some(Request::Group);
        }
        if self.directed.is_empty() {
            return None;
        }
        let extension = dialled.strip_prefix(self.directed.as_str())?;
        (!extension.is_empty()).then(|| Request::Directed(extension.to_owned()))
    }
}

/// Whom a pickup may take from, once the extension is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Group,
    Agent(AgentId),
}

/// Why a pickup is refused, each with its SIP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The phone's user is no agent.
    NotAnAgent,
    /// The directed extension is nobody's.
    UnknownExtension,
    /// The picker is in no pickup group.
    NotAMember,
    /// The directed extension shares no group with the picker.
    NotInGroup,
    /// The picker dialled their own extension.
    Themselves,
    /// No queue call rings any phone the picker may take from.
    NothingRinging,
    /// The picker may not take a call now (not logged in to the call's
    /// project, or not free: busy, on a break that is not Transferable).
    NotFree,
    /// The call stopped ringing (answered, or the caller left) meanwhile.
    Gone,
    /// The picker's INVITE carries no SDP offer.
    NoOffer,
    /// The stored groups could not be read, or dispatch is gone.
    Unavailable,
}

impl Refusal {
    /// The status and reason phrase of the INVITE's answer.
    pub fn status(self) -> (u16, &'static str) {
        match self {
            Refusal::NotAnAgent => (403, "Only agents may pick up calls"),
            Refusal::UnknownExtension => (404, "No such extension"),
            Refusal::NotAMember => (404, "Not in a pickup group"),
            Refusal::NotInGroup => (404, "Not in the same pickup group"),
            Refusal::Themselves => (403, "Cannot pick up one's own phone"),
            Refusal::NothingRinging => (480, "Nothing ringing to pick up"),
            Refusal::NotFree => (403, "Not free to take a call"),
            Refusal::Gone => (480, "No longer ringing"),
            Refusal::NoOffer => (488, "An SDP offer is required"),
            Refusal::Unavailable => (500, "Pickup unavailable"),
        }
    }

    /// The dispatch core's refusal of [`crate::acd::Event::OfferPickedUp`].
    pub fn from_acd(e: &AcdError) -> Refusal {
        match e {
            AcdError::NoSuchOffer { .. } => Refusal::Gone,
            _ => Refusal::NotFree,
        }
    }
}

/// The agents whose ringing offers `picker` may take, given the members of
/// every pickup group (`groups`): for a group pickup, every other member of
/// the picker's groups (ascending, once each); for a directed one, that
/// agent alone, when a group holds them both.
pub fn colleagues(
    groups: &[Vec<AgentId>],
    picker: AgentId,
    target: Target,
) -> Result<Vec<AgentId>, Refusal> {
    let mine = || groups.iter().filter(|g| g.contains(&picker));
    if mine().next().is_none() {
        return Err(Refusal::NotAMember);
    }
    match target {
        Target::Agent(agent) if agent == picker => Err(Refusal::Themselves),
        Target::Agent(agent) => match mine().any(|g| g.contains(&agent)) {
            true => Ok(vec![agent]),
            false => Err(Refusal::NotInGroup),
        },
        Target::Group => {
            let mut all: Vec<AgentId> =
                mine().flatten().copied().filter(|&a| a != picker).collect();
            all.sort_unstable();
            all.dedup();
            Ok(all)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: AgentId = AgentId(1);
    const B: AgentId = AgentId(2);
    const C: AgentId = AgentId(3);
    const D: AgentId = AgentId(4);

    #[test]
    fn dialled_codes() {
        let codes = Codes::default();
        let table = [
            ("*8", Some(Request::Group)),
            ("**1001", Some(Request::Directed("1001".into()))),
            ("**", None),
            ("*81", None),
            ("8", None),
            ("1001", None),
            ("", None),
        ];
        for (dialled, want) in table {
            assert_eq!(codes.parse(dialled), want, "{dialled:?}");
        }
        let off = Codes {
            group: String::new(),
            directed: String::new(),
        };
        assert_eq!(off.parse("*8"), None);
        assert_eq!(off.parse("**1001"), None);
        let other = Codes {
            group: "#9".into(),
            directed: "*9".into(),
        };
        assert_eq!(other.parse("#9"), Some(Request::Group));
        assert_eq!(
            other.parse("*91002"),
            Some(Request::Directed("1002".into()))
        );
        assert_eq!(other.parse("*8"), None);
    }

    #[test]
    fn who_may_pick_up_whom() {
        // Groups: {A, B, C} and {C, D}.
        let groups = vec![vec![A, B, C], vec![C, D]];
        type Row = (&'static str, AgentId, Target, Result<Vec<AgentId>, Refusal>);
        let table: Vec<Row> = vec![
            ("a member's group", A, Target::Group, Ok(vec![B, C])),
            (
                "a member of two groups",
                C,
                Target::Group,
                Ok(vec![A, B, D]),
            ),
            ("directed, same group", D, Target::Agent(C), Ok(vec![C])),
            (
                "directed, other group",
                D,
                Target::Agent(A),
                Err(Refusal::NotInGroup),
            ),
            (
                "directed at oneself",
                A,
                Target::Agent(A),
                Err(Refusal::Themselves),
            ),
            (
                "not a member",
                AgentId(9),
                Target::Group,
                Err(Refusal::NotAMember),
            ),
            (
                "not a member, directed",
                AgentId(9),
                Target::Agent(A),
                Err(Refusal::NotAMember),
            ),
        ];
        for (what, picker, target, want) in table {
            assert_eq!(colleagues(&groups, picker, target), want, "{what}");
        }
        assert_eq!(
            colleagues(&[vec![A]], A, Target::Group),
            Ok(vec![]),
            "alone in a group: nothing can ring"
        );
    }

    #[test]
    fn refusals_answer_with_a_status_and_a_reason() {
        for r in [
            Refusal::NotAnAgent,
            Refusal::UnknownExtension,
            Refusal::NotAMember,
            Refusal::NotInGroup,
            Refusal::Themselves,
            Refusal::NothingRinging,
            Refusal::NotFree,
            Refusal::Gone,
            Refusal::NoOffer,
            Refusal::Unavailable,
        ] {
            let (status, reason) = r.status();
            assert!((400..600).contains(&status), "{r:?}");
            assert!(!reason.is_empty(), "{r:?}");
        }
        assert_eq!(
            Refusal::from_acd(&AcdError::NoSuchOffer {
                call: crate::acd::CallId(1),
                agent: A
            }),
            Refusal::Gone
        );
        assert_eq!(
            Refusal::from_acd(&AcdError::NoTransfer(A)),
            Refusal::NotFree
        );
    }
}
