//! Queue scope: what of the queues' data a caller may see and change. A
//! session sees the queues its permissions name (`queue.<id>`), or every
//! queue with `queue.all`; the admin token sees all ([`Principal::sees_queue`]
//! is the one test, everything here asks it).
//!
//! Three places apply it, so that no route can leave it out:
//!
//! - a path under `/queues/{id}` (the queue and everything beneath it, such
//!   as its agents and its offered result codes) is not found unless the
//!   queue is seen: [`queue_in_path`], asked by the guard in front of every
//!   route;
//! - an item is shown as [`Scoped`] says: by default only when every queue it
//!   names is seen (queue groups, tags, routes), so a replace can never
//!   silently drop a hidden queue; a user is always shown, with the queues
//!   they serve limited to the seen ones, and a replace keeps the hidden ones;
//! - a write may not name a queue the caller cannot see, unless the item
//!   already named it ([`check_named`]): such a queue is refused as no queue.

use super::auth::Principal;
use super::problem::Problem;
use crate::store::admin::conditions::{Condition, ConditionInput};
use crate::store::admin::ivr::{Destination, Menu, MenuInput};
use crate::store::admin::queue_groups::{QueueGroup, QueueGroupInput};
use crate::store::admin::queues::{Queue, QueueInput};
use crate::store::admin::routes::{RouteEntry, RouteInput};
use crate::store::admin::tags::{Tag, TagInput};
use crate::store::admin::users::{User, UserInput};
use crate::store::admin::{AdminError, FieldError};

/// The queue a path under `/api` addresses (`/queues/{id}` and below), when
/// its id is a number; the guard answers "not found" unless it is seen.
pub fn queue_in_path(path: &str) -> Option<i64> {
    let path = path.strip_prefix("/api").unwrap_or(path);
    let mut segments = path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next()) {
        (Some("queues"), Some(id)) => id.parse().ok(),
        _ => None,
    }
}

/// The "not found" of a queue outside the caller's scope.
pub fn hidden_queue() -> Problem {
    Problem::new("not-found", "no such queue")
}

/// How an item or an input stands to the queue scope.
pub trait Scoped {
    /// The queues it names, each with the input field that names it.
    fn named_queues(&self) -> Vec<(String, i64)> {
        Vec::new()
    }

    /// Whether `who` may see the item: by default when they see every queue
    /// it names.
    fn visible_to(&self, who: &Principal) -> bool {
        self.named_queues().iter().all(|(_, q)| who.sees_queue(*q))
    }

    /// Leaves out of a visible item what `who` may not see.
    fn limit_to(&mut self, _who: &Principal) {}

    /// On a replace, takes back the queues `hidden` that the stored item
    /// names and [`Scoped::limit_to`] left out of what the caller saw.
    fn keep_hidden(&mut self, _hidden: &[i64]) {}
}

/// Refuses an input naming a queue `who` cannot see, as if there were no such
/// queue, unless the stored item (`kept`) already names it.
pub fn check_named(who: &Principal, input: &impl Scoped, kept: &[i64]) -> Result<(), Problem> {
    let errors: Vec<FieldError> = input
        .named_queues()
        .into_iter()
        .filter(|(_, q)| !who.sees_queue(*q) && !kept.contains(q))
        .map(|(field, _)| FieldError {
            field,
            message: "no such queue".into(),
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AdminError::Invalid(errors).into())
    }
}

/// The queues of `item` that `who` cannot see.
pub fn hidden_from(who: &Principal, item: &impl Scoped) -> Vec<i64> {
    item.named_queues()
        .into_iter()
        .map(|(_, q)| q)
        .filter(|q| !who.sees_queue(*q))
        .collect()
}

fn each(field: &str, ids: &[i64]) -> Vec<(String, i64)> {
    ids.iter()
        .enumerate()
        .map(|(i, q)| (format!("{field}[{i}]"), *q))
        .collect()
}

/// The items and inputs that name queues in a `queues` list.
macro_rules! listing_queues {
    ($($t:ty),+) => {
        $(impl Scoped for $t {
            fn named_queues(&self) -> Vec<(String, i64)> {
                each("queues", &self.queues)
            }
        })+
    };
}
listing_queues!(QueueGroup, QueueGroupInput, Tag, TagInput);

impl Scoped for User {
    fn named_queues(&self) -> Vec<(String, i64)> {
        each("queues", &self.queues)
    }

    /// A user is no queue's data: shown, with the queues they serve limited.
    fn visible_to(&self, _who: &Principal) -> bool {
        true
    }

    fn limit_to(&mut self, who: &Principal) {
        self.queues.retain(|q| who.sees_queue(*q));
    }
}

impl Scoped for UserInput {
    fn named_queues(&self) -> Vec<(String, i64)> {
        each("queues", &self.queues)
    }

    fn keep_hidden(&mut self, hidden: &[i64]) {
        for q in hidden {
            if !self.queues.contains(q) {
                self.queues.push(*q);
            }
        }
    }
}

impl Scoped for Queue {
    fn named_queues(&self) -> Vec<(String, i64)> {
        self.exit_queue_id
            .map(|q| ("exit_queue_id".to_owned(), q))
            .into_iter()
            .collect()
    }

    /// A queue is seen by its own id; the queue its callers leave for does
    /// not hide it.
    fn visible_to(&self, who: &Principal) -> bool {
        who.sees_queue(self.id)
    }
}

impl Scoped for QueueInput {
    fn named_queues(&self) -> Vec<(String, i64)> {
        self.exit_queue_id
            .map(|q| ("exit_queue_id".to_owned(), q))
            .into_iter()
            .collect()
    }
}

impl Scoped for RouteEntry {
    fn named_queues(&self) -> Vec<(String, i64)> {
        self.queue_id
            .map(|q| ("queue_id".to_owned(), q))
            .into_iter()
            .collect()
    }
}

impl Scoped for RouteInput {
    fn named_queues(&self) -> Vec<(String, i64)> {
        let from_destination = match &self.destination {
            Some(Destination::Queue { queue_id }) => Some(*queue_id),
            _ => None,
        };
        self.queue_id
            .or(from_destination)
            .map(|q| ("queue_id".to_owned(), q))
            .into_iter()
            .collect()
    }
}

/// The queues a menu's keys and fallback send callers to.
fn menu_queues<'a>(
    options: impl Iterator<Item = (&'a String, &'a Destination)>,
    fallback: &Destination,
) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = options
        .filter_map(|(key, d)| match d {
            Destination::Queue { queue_id } => Some((format!("options.{key}.queue_id"), *queue_id)),
            _ => None,
        })
        .collect();
    if let Destination::Queue { queue_id } = fallback {
        out.push(("fallback.queue_id".to_owned(), *queue_id));
    }
    out
}

impl Scoped for Menu {
    fn named_queues(&self) -> Vec<(String, i64)> {
        menu_queues(self.options.iter(), &self.fallback)
    }
}

impl Scoped for MenuInput {
    fn named_queues(&self) -> Vec<(String, i64)> {
        menu_queues(self.options.iter(), &self.fallback)
    }
}

impl Scoped for Condition {
    fn named_queues(&self) -> Vec<(String, i64)> {
        condition_queues(&self.open, &self.closed)
    }
}

impl Scoped for ConditionInput {
    fn named_queues(&self) -> Vec<(String, i64)> {
        condition_queues(&self.open, &self.closed)
    }
}

fn condition_queues(open: &Destination, closed: &Destination) -> Vec<(String, i64)> {
    [("open", open), ("closed", closed)]
        .into_iter()
        .filter_map(|(field, d)| match d {
            Destination::Queue { queue_id } => Some((format!("{field}.queue_id"), *queue_id)),
            _ => None,
        })
        .collect()
}

/// What names no queue.
macro_rules! unscoped {
    ($($t:ty),+) => {
        $(impl Scoped for $t {})+
    };
}
unscoped!(
    crate::store::admin::projects::Project,
    crate::store::admin::projects::ProjectInput,
    crate::store::admin::statuses::Status,
    crate::store::admin::statuses::StatusInput,
    crate::store::admin::result_codes::ResultCode,
    crate::store::admin::result_codes::ResultCodeInput,
    crate::store::admin::profiles::Profile,
    crate::store::admin::profiles::ProfileInput,
    crate::store::admin::member_groups::MemberGroup,
    crate::store::admin::member_groups::MemberGroupInput,
    crate::store::admin::trunks::TrunkEntry,
    crate::store::admin::trunks::TrunkInput,
    crate::store::admin::outbound_routes::OutboundRoute,
    crate::store::admin::outbound_routes::OutboundRouteInput,
    crate::store::admin::blacklist::BlacklistEntry,
    crate::store::admin::blacklist::BlacklistInput
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_of_a_path_is_its_second_segment() {
        assert_eq!(queue_in_path("/api/queues/42"), Some(42));
        assert_eq!(queue_in_path("/queues/42/agents"), Some(42));
        assert_eq!(queue_in_path("/queues/42/offered-result-codes"), Some(42));
        assert_eq!(queue_in_path("/queues"), None);
        assert_eq!(queue_in_path("/queues/x"), None);
        assert_eq!(queue_in_path("/queue-groups/42"), None);
        assert_eq!(queue_in_path("/tags/42"), None);
    }

    /// A session that sees queue 1 only.
    fn seeing_queue_one() -> Principal {
        use crate::store::admin::permissions::{Effective, Granted};
        use crate::store::admin::sessions::Session;
        let permissions = Effective {
            user_id: 9,
            project_id: None,
            permissions: vec![Granted {
                key: "queue.1".into(),
                sources: Vec::new(),
            }],
        };
        Principal::User {
            session: Session {
                user_id: 9,
                username: "s".into(),
                project_id: None,
                permissions,
            },
            token: String::new(),
        }
    }

    fn user(queues: Vec<i64>) -> User {
        User {
            id: 5,
            username: "u".into(),
            first_name: String::new(),
            last_name: String::new(),
            state: "new".into(),
            priority: 0,
            projects: Vec::new(),
            profiles: Vec::new(),
            queues,
            extensions: Vec::new(),
            has_password: false,
            failed_logins: 0,
        }
    }

    #[test]
    fn a_write_may_keep_a_hidden_queue_but_not_add_one() {
        let who = seeing_queue_one();
        let route = |queue_id| RouteInput::to_queue("600", queue_id);
        assert!(check_named(&who, &route(1), &[]).is_ok());
        let refused = check_named(&who, &route(2), &[]).unwrap_err();
        assert_eq!(refused.status, 422);
        assert_eq!(refused.errors.unwrap()[0].field, "queue_id");
        assert!(check_named(&who, &route(2), &[2]).is_ok());
        assert!(check_named(&Principal::Superuser, &route(2), &[]).is_ok());
    }

    #[test]
    fn what_names_a_hidden_queue_is_hidden_but_a_user_is_limited() {
        let who = seeing_queue_one();
        let tag = |queues| Tag {
            id: 3,
            name: "t".into(),
            category: String::new(),
            colour: "#000000".into(),
            queues,
        };
        assert!(tag(vec![1]).visible_to(&who));
        assert!(tag(vec![]).visible_to(&who));
        assert!(!tag(vec![1, 2]).visible_to(&who));

        let mut shown = user(vec![1, 2]);
        assert!(shown.visible_to(&who));
        assert_eq!(hidden_from(&who, &shown), [2]);
        shown.limit_to(&who);
        assert_eq!(shown.queues, [1]);
    }
}
