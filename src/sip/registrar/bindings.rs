//! The binding rules of RFC 3261 section 10.3 steps 6 to 8, without I/O: what a
//! REGISTER does to the bindings of one address-of-record.

use bytes::Bytes;

use super::super::location::Binding;
use super::super::message::Uri;
use super::super::peer::Peer;

/// Limits an operator sets on registrations.
#[derive(Debug, Clone, Copy)]
pub struct BindingRules {
    pub min_expires: u32,
    pub max_expires: u32,
    pub default_expires: u32,
    pub max_contacts: usize,
}

/// One Contact of a REGISTER, with its expiry already read from the Contact
/// `expires` parameter or the Expires header (step 6).
#[derive(Debug, Clone, PartialEq)]
pub struct ContactUpdate {
    pub uri: String,
    /// Seconds as the client asked; `None` when it named none.
    pub expires: Option<u32>,
    pub q: Option<f32>,
}

/// What a REGISTER asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// `Contact: *` with `Expires: 0`: remove every binding.
    RemoveAll,
    /// Add, refresh or remove (expires 0) these contacts; empty is a query.
    Contacts(Vec<ContactUpdate>),
}

/// The REGISTER's identity, which orders refreshes (step 7).
#[derive(Debug, Clone)]
pub struct Origin {
    pub call_id: String,
    pub cseq: u32,
    pub source: Peer,
    pub user_agent: String,
}

/// Why the bindings were left untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 423 Interval Too Brief, with Min-Expires.
    IntervalTooBrief { min_expires: u32 },
    /// An earlier or repeated request of the same Call-ID (step 7).
    OutOfOrder,
}

/// Whether two Contact URIs name the same binding: RFC 3261 section 10.3
/// step 7 compares them by the URI rules of section 19.1.4 (so a refresh
/// that writes `transport=UDP` where the first wrote `transport=udp` does
/// not add a second binding).
fn same_contact(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (
        Uri::parse(Bytes::copy_from_slice(a.as_bytes())),
        Uri::parse(Bytes::copy_from_slice(b.as_bytes())),
    ) {
        (Ok(a), Ok(b)) => a.equivalent(&b),
        _ => false,
    }
}

/// Applies `update` to `bindings` at `now_ms`. Either every contact is applied
/// or none is. Returns whether anything changed. The set is kept within
/// `max_contacts` by dropping the bindings that would lapse first.
pub fn apply(
    rules: &BindingRules,
    bindings: &mut Vec<Binding>,
    update: &Update,
    origin: &Origin,
    now_ms: u64,
) -> Result<bool, Refusal> {
    bindings.retain(|b| b.expires_at_ms > now_ms);
    let stale = |b: &Binding| b.call_id == origin.call_id && origin.cseq <= b.cseq;
    match update {
        Update::RemoveAll => {
            if bindings.iter().any(stale) {
                return Err(Refusal::OutOfOrder);
            }
            let changed = !bindings.is_empty();
            bindings.clear();
            Ok(changed)
        }
        Update::Contacts(contacts) => {
            let mut resolved = Vec::with_capacity(contacts.len());
            for contact in contacts {
                let asked = contact.expires.unwrap_or(rules.default_expires);
                if asked != 0 && asked < rules.min_expires {
                    return Err(Refusal::IntervalTooBrief {
                        min_expires: rules.min_expires,
                    });
                }
                if bindings
                    .iter()
                    .any(|b| same_contact(&b.contact, &contact.uri) && stale(b))
                {
                    return Err(Refusal::OutOfOrder);
                }
                resolved.push((contact, asked.min(rules.max_expires)));
            }
            let mut changed = false;
            for (contact, expires) in resolved {
                let existing = bindings
                    .iter()
                    .position(|b| same_contact(&b.contact, &contact.uri));
                if expires == 0 {
                    if let Some(i) = existing {
                        bindings.remove(i);
                        changed = true;
                    }
                    continue;
                }
                let binding = Binding {
                    contact: contact.uri.clone(),
                    expires_at_ms: now_ms + u64::from(expires) * 1000,
                    q: contact.q,
                    call_id: origin.call_id.clone(),
                    cseq: origin.cseq,
                    source: origin.source,
                    user_agent: origin.user_agent.clone(),
                };
                match existing {
                    Some(i) => bindings[i] = binding,
                    None => bindings.push(binding),
                }
                changed = true;
            }
            if bindings.len() > rules.max_contacts {
                bindings.sort_by_key(|b| std::cmp::Reverse(b.expires_at_ms));
                bindings.truncate(rules.max_contacts);
            }
            Ok(changed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: BindingRules = BindingRules {
        min_expires: 60,
        max_expires: 3600,
        default_expires: 600,
        max_contacts: 2,
    };

    fn origin(call_id: &str, cseq: u32) -> Origin {
        Origin {
            call_id: call_id.into(),
            cseq,
            source: Peer::udp("192.0.2.1:5060".parse().unwrap()),
            user_agent: "test".into(),
        }
    }

    fn contact(uri: &str, expires: Option<u32>) -> ContactUpdate {
        ContactUpdate {
            uri: uri.into(),
            expires,
            q: None,
        }
    }

    fn register(
        set: &mut Vec<Binding>,
        contacts: &[ContactUpdate],
        o: &Origin,
        now: u64,
    ) -> Result<bool, Refusal> {
        apply(&RULES, set, &Update::Contacts(contacts.to_vec()), o, now)
    }

    #[test]
    fn contacts_are_added_refreshed_and_removed() {
        let mut set = Vec::new();
        assert_eq!(
            register(&mut set, &[contact("sip:a@1", None)], &origin("c1", 1), 0),
            Ok(true)
        );
        assert_eq!(set[0].expires_at_ms, 600_000);
        assert_eq!(
            register(
                &mut set,
                &[contact("sip:a@1", Some(120))],
                &origin("c1", 2),
                1_000
            ),
            Ok(true)
        );
        assert_eq!(set.len(), 1);
        assert_eq!(set[0].expires_at_ms, 121_000);
        assert_eq!(
            register(
                &mut set,
                &[contact("sip:a@1", Some(0))],
                &origin("c1", 3),
                2_000
            ),
            Ok(true)
        );
        assert!(set.is_empty());
    }

    #[test]
    fn too_brief_intervals_are_refused_whole_and_long_ones_shortened() {
        let mut set = Vec::new();
        let asked = [
            contact("sip:a@1", Some(3600 * 24)),
            contact("sip:a@2", Some(30)),
        ];
        assert_eq!(
            register(&mut set, &asked, &origin("c1", 1), 0),
            Err(Refusal::IntervalTooBrief { min_expires: 60 })
        );
        assert!(set.is_empty(), "nothing applied from a refused request");
        register(&mut set, &asked[..1], &origin("c1", 2), 0).unwrap();
        assert_eq!(set[0].expires_at_ms, 3_600_000);
    }

    #[test]
    fn an_old_cseq_of_the_same_call_id_is_out_of_order() {
        let mut set = Vec::new();
        register(&mut set, &[contact("sip:a@1", None)], &origin("c1", 5), 0).unwrap();
        assert_eq!(
            register(&mut set, &[contact("sip:a@1", None)], &origin("c1", 5), 0),
            Err(Refusal::OutOfOrder)
        );
        // Another Call-ID (another device, or a rebooted one) may always write.
        assert_eq!(
            register(&mut set, &[contact("sip:a@1", None)], &origin("c2", 1), 0),
            Ok(true)
        );
    }

    #[test]
    fn star_removes_everything_and_the_contact_limit_keeps_the_newest() {
        let mut set = Vec::new();
        register(
            &mut set,
            &[contact("sip:a@1", Some(100))],
            &origin("c1", 1),
            0,
        )
        .unwrap();
        register(
            &mut set,
            &[contact("sip:a@2", Some(200))],
            &origin("c2", 1),
            0,
        )
        .unwrap();
        register(
            &mut set,
            &[contact("sip:a@3", Some(300))],
            &origin("c3", 1),
            0,
        )
        .unwrap();
        let mut uris: Vec<_> = set.iter().map(|b| b.contact.as_str()).collect();
        uris.sort();
        assert_eq!(uris, ["sip:a@2", "sip:a@3"]);
        assert_eq!(
            apply(&RULES, &mut set, &Update::RemoveAll, &origin("c9", 1), 0),
            Ok(true)
        );
        assert!(set.is_empty());
    }

    #[test]
    fn a_refresh_matches_its_binding_by_uri_equivalence() {
        let mut set = Vec::new();
        register(
            &mut set,
            &[contact("sip:a@Host.example;transport=udp", None)],
            &origin("c1", 1),
            0,
        )
        .unwrap();
        register(
            &mut set,
            &[contact("sip:a@host.example;transport=UDP", Some(120))],
            &origin("c1", 2),
            0,
        )
        .unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set[0].expires_at_ms, 120_000);
        // A different user part is a different binding.
        register(
            &mut set,
            &[contact("sip:b@host.example;transport=udp", None)],
            &origin("c1", 3),
            0,
        )
        .unwrap();
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn lapsed_bindings_do_not_survive_an_update() {
        let mut set = Vec::new();
        register(
            &mut set,
            &[contact("sip:a@1", Some(60))],
            &origin("c1", 1),
            0,
        )
        .unwrap();
        register(&mut set, &[], &origin("c2", 1), 61_000).unwrap();
        assert!(set.is_empty());
    }
}
