//! Outbound routing: which trunk a number an agent dials leaves through, as
//! what number, presenting which caller ID, and whether the agent may use
//! that route at all (the Dial Plan permission).
//!
//! Each project has an ordered list of routes ([`OutboundRoute`]): a dial
//! pattern (Asterisk-style, `_0N.`; see `store::admin::dial_pattern`), a
//! number rewrite (strip leading characters, then prepend a prefix), a trunk
//! and an optional caller ID. [`OutboundPlan::route`] takes the first route of
//! the project whose pattern takes the number. The caller ID presented is the
//! queue's (when the call is made for a queue that sets one), else the
//! project's, else the route's; none of them leaves it to the trunk.
//!
//! A user may call out through a route when their effective permissions hold
//! `other.outbound_calls` and either `dial_plan.route.all` or the route's own
//! key `dial_plan.route.<id>` ([`may_dial`]); [`OutboundPlan::route_for`]
//! skips the routes a user may not use, so a more general route can carry
//! the call. The plan is part of the [`Routing`](super::Routing) snapshot and
//! is reloaded with it; this module does no I/O.

use std::collections::HashMap;

use crate::acd::{ProjectId, QueueId};
use crate::store::admin::dial_pattern::{is_dialable, DialPattern};
use crate::store::admin::permissions::{outbound_route_key, Effective};

/// The key that lets a user place outbound calls at all.
pub const OUTBOUND_CALLS: &str = "other.outbound_calls";
/// The key that lets a user use every outbound route.
pub const EVERY_ROUTE: &str = "dial_plan.route.all";

/// An outbound route as call control uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRoute {
    pub id: i64,
    pub name: String,
    pub pattern: DialPattern,
    /// Leading characters removed from the dialled number.
    pub strip: usize,
    /// Put in front of what is left.
    pub prepend: String,
    pub trunk: i64,
    pub caller_id: Option<String>,
}

impl OutboundRoute {
    /// The number the trunk is asked for: `dialled` rewritten.
    pub fn rewrite(&self, dialled: &str) -> String {
        let kept = dialled.get(self.strip..).unwrap_or("");
        format!("{}{kept}", self.prepend)
    }
}

/// What to dial: the answer of [`OutboundPlan::route`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    /// The route chosen (for the record and the Dial Plan permission).
    pub route: i64,
    /// The trunk the call leaves through.
    pub trunk: i64,
    /// The user part of the INVITE's Request-URI (and To).
    pub request_uri_user: String,
    /// The number presented in From (and P-Asserted-Identity), when set.
    pub caller_id: Option<String>,
}

/// Why a number cannot be dialled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoRoute {
    /// Not a number: empty, too long, or with characters other than digits,
    /// `+`, `*` and `#`.
    #[error("{0:?} is not a number one can dial")]
    NotANumber(String),
    /// No route of the project takes the number.
    #[error("no outbound route takes {0:?}")]
    NoMatch(String),
    /// Routes take the number, but the user may use none of them.
    #[error("no outbound route the user may use takes {0:?}")]
    NotAllowed(String),
}

/// Every project's outbound routes and the caller IDs projects and queues set.
#[derive(Debug, Clone, Default)]
pub struct OutboundPlan {
    routes: HashMap<ProjectId, Vec<OutboundRoute>>,
    project_caller_ids: HashMap<ProjectId, String>,
    queue_caller_ids: HashMap<QueueId, String>,
}

impl OutboundPlan {
    /// Adds `route` after the project's routes already added (add them in
    /// the order they are tried).
    pub fn add_route(&mut self, project: ProjectId, route: OutboundRoute) {
        self.routes.entry(project).or_default().push(route);
    }

    /// The caller ID outbound calls for `project` present when neither their
    /// route nor their queue sets one.
    pub fn set_project_caller_id(&mut self, project: ProjectId, caller_id: String) {
        self.project_caller_ids.insert(project, caller_id);
    }

    /// The caller ID outbound calls for `queue` present when their route
    /// sets none (in place of the project's).
    pub fn set_queue_caller_id(&mut self, queue: QueueId, caller_id: String) {
        self.queue_caller_ids.insert(queue, caller_id);
    }

    /// The routes of `project`, in the order they are tried.
    pub fn routes(&self, project: ProjectId) -> &[OutboundRoute] {
        self.routes.get(&project).map(Vec::as_slice).unwrap_or(&[])
    }

    /// How `dialled` leaves for `project` (for `queue`, when the call is made
    /// on a queue's behalf): the first route that takes it.
    pub fn route(
        &self,
        project: ProjectId,
        dialled: &str,
        queue: Option<QueueId>,
    ) -> Result<Dial, NoRoute> {
        self.route_for(project, dialled, queue, |_| true)
    }

    /// As [`OutboundPlan::route`], passing over the routes `may_use` refuses
    /// (see [`may_dial`]).
    pub fn route_for(
        &self,
        project: ProjectId,
        dialled: &str,
        queue: Option<QueueId>,
        may_use: impl Fn(&OutboundRoute) -> bool,
    ) -> Result<Dial, NoRoute> {
        if !is_dialable(dialled) {
            return Err(NoRoute::NotANumber(dialled.to_owned()));
        }
        let mut refused = false;
        for route in self.routes(project) {
            if !route.pattern.matches(dialled) {
                continue;
            }
            if !may_use(route) {
                refused = true;
                continue;
            }
            let caller_id = route
                .caller_id
                .as_ref()
                .or_else(|| queue.and_then(|q| self.queue_caller_ids.get(&q)))
                .or_else(|| self.project_caller_ids.get(&project))
                .cloned();
            return Ok(Dial {
                route: route.id,
                trunk: route.trunk,
                request_uri_user: route.rewrite(dialled),
                caller_id,
            });
        }
        Err(if refused {
            NoRoute::NotAllowed(dialled.to_owned())
        } else {
            NoRoute::NoMatch(dialled.to_owned())
        })
    }
}

/// Whether a user with the effective permissions `user` may call out through
/// `route`: `other.outbound_calls`, and `dial_plan.route.all` or the route's
/// own `dial_plan.route.<id>`.
pub fn may_dial(user: &Effective, route: &OutboundRoute) -> bool {
    user.has(OUTBOUND_CALLS) && (user.has(EVERY_ROUTE) || user.has(&outbound_route_key(route.id)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::admin::permissions::Granted;

    fn route(
        id: i64,
        pattern: &str,
        strip: usize,
        prepend: &str,
        caller_id: Option<&str>,
    ) -> OutboundRoute {
        OutboundRoute {
            id,
            name: format!("r{id}"),
            pattern: DialPattern::parse(pattern).unwrap(),
            strip,
            prepend: prepend.into(),
            trunk: id * 10,
            caller_id: caller_id.map(str::to_owned),
        }
    }

    const P: ProjectId = ProjectId(1);
    const OTHER: ProjectId = ProjectId(2);
    const SALES: QueueId = QueueId(7);

    /// A German contact center: emergency numbers, national calls with a
    /// leading 0, international with 00, and everything else refused.
    fn plan() -> OutboundPlan {
        let mut plan = OutboundPlan::default();
        plan.add_route(P, route(1, "112", 0, "", None));
        plan.add_route(P, route(2, "_00.", 2, "+", Some("+49301111")));
        plan.add_route(P, route(3, "_0N.", 1, "+49", Some("+49302222")));
        plan.add_route(P, route(4, "_+!", 0, "", None));
        plan.add_route(OTHER, route(5, "_X.", 0, "9", None));
        plan
    }

    #[test]
    fn the_first_matching_route_rewrites_the_number() {
        let plan = plan();
        type Expected = Result<(i64, &'static str), NoRoute>;
        let table: &[(ProjectId, &str, Expected)] = &[
            (P, "112", Ok((1, "112"))),
            (P, "0049891234", Ok((2, "+49891234"))),
            (P, "030123456", Ok((3, "+4930123456"))),
            (P, "+15550100", Ok((4, "+15550100"))),
            (P, "0123", Err(NoRoute::NoMatch("0123".into()))),
            (P, "5550100", Err(NoRoute::NoMatch("5550100".into()))),
            (P, "", Err(NoRoute::NotANumber("".into()))),
            (P, "030 123", Err(NoRoute::NotANumber("030 123".into()))),
            (OTHER, "030123", Ok((5, "9030123"))),
            (ProjectId(3), "112", Err(NoRoute::NoMatch("112".into()))),
        ];
        for (project, dialled, expected) in table {
            let got = plan
                .route(*project, dialled, None)
                .map(|d| (d.route, d.request_uri_user));
            let expected = expected.clone().map(|(r, u)| (r, u.to_owned()));
            assert_eq!(got, expected, "{dialled:?} in {project:?}");
        }
        let dial = plan.route(P, "0049891234", None).unwrap();
        assert_eq!(dial.trunk, 20);
    }

    #[test]
    fn the_route_caller_id_wins_then_the_queue_then_the_project() {
        let mut plan = plan();
        let caller = |plan: &OutboundPlan, dialled: &str, queue| {
            plan.route(P, dialled, queue).unwrap().caller_id
        };
        assert_eq!(caller(&plan, "030123", None).as_deref(), Some("+49302222"));
        assert_eq!(caller(&plan, "112", None), None, "left to the trunk");
        plan.set_project_caller_id(P, "+49300000".into());
        plan.set_queue_caller_id(SALES, "+49307777".into());
        // (number, queue, expected): the route's first, then the queue's
        // (for calls made for it), then the project's.
        let table: &[(&str, Option<QueueId>, &str)] = &[
            ("030123", None, "+49302222"),
            ("030123", Some(SALES), "+49302222"),
            ("112", None, "+49300000"),
            ("112", Some(SALES), "+49307777"),
            ("112", Some(QueueId(8)), "+49300000"),
            ("+15550100", Some(SALES), "+49307777"),
        ];
        for (dialled, queue, expected) in table {
            assert_eq!(
                caller(&plan, dialled, *queue).as_deref(),
                Some(*expected),
                "{dialled} for {queue:?}"
            );
        }
    }

    fn user(keys: &[&str]) -> Effective {
        Effective {
            user_id: 1,
            project_id: Some(1),
            permissions: keys
                .iter()
                .map(|k| Granted {
                    key: (*k).to_owned(),
                    sources: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_dial_plan_permission_names_the_routes_a_user_may_use() {
        let plan = plan();
        let national = &plan.routes(P)[2];
        assert!(!may_dial(&user(&[]), national));
        assert!(
            !may_dial(&user(&[EVERY_ROUTE]), national),
            "outbound calls at all"
        );
        assert!(may_dial(&user(&[OUTBOUND_CALLS, EVERY_ROUTE]), national));
        let only_national = user(&[OUTBOUND_CALLS, "dial_plan.route.3"]);
        assert!(may_dial(&only_national, national));
        assert!(!may_dial(&only_national, &plan.routes(P)[1]));

        let may = |r: &OutboundRoute| may_dial(&only_national, r);
        assert_eq!(plan.route_for(P, "030123", None, may).unwrap().route, 3);
        assert_eq!(
            plan.route_for(P, "0049891234", None, may),
            Err(NoRoute::NotAllowed("0049891234".into()))
        );
        assert_eq!(
            plan.route_for(P, "999", None, may),
            Err(NoRoute::NoMatch("999".into()))
        );
        // A user kept off the specific route falls through to a general one.
        let mut plan = plan.clone();
        plan.add_route(P, route(6, "_0.", 0, "", None));
        let general = user(&[OUTBOUND_CALLS, "dial_plan.route.6"]);
        let may = |r: &OutboundRoute| may_dial(&general, r);
        let dial = plan.route_for(P, "030123", None, may).unwrap();
        assert_eq!((dial.route, dial.request_uri_user.as_str()), (6, "030123"));
    }
}
