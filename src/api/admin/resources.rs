//! Each resource of the API as a [`Resource`]: its path, its schema's name,
//! the read-only fields of its stored form, and the store functions behind
//! it. Most call `store::admin` as they are; queues also take the server's
//! queue rules, and a trunk's password is turned here into its digest HA1
//! values for the server's realm, so that only those reach the store.

use super::handlers::{Checked, Resource};
use super::AdminState;
use crate::sip::auth::{ha1, Algorithm};
use crate::store::admin::queues::{self, Queue, QueueInput};
use crate::store::admin::trunks::{self, DigestSecret, TrunkEntry, TrunkInput};
use crate::store::admin::{self as store, AdminError, Saved, Warning};

/// A resource whose store module has the five operations as they are.
macro_rules! resource {
    ($name:ident, $path:literal, $schema:literal, $what:literal, $m:ident,
     $item:ty, $input:ty, $read_only:expr $(,)?) => {
        pub struct $name;

        impl Resource for $name {
            const PATH: &'static str = $path;
            const SCHEMA: &'static str = $schema;
            const WHAT: &'static str = $what;
            const READ_ONLY: &'static [&'static str] = $read_only;
            type Item = $item;
            type Input = $input;

            fn id(item: &$item) -> i64 {
                item.id
            }
            async fn list(s: &AdminState) -> Result<Vec<$item>, AdminError> {
                store::$m::list(&s.store).await
            }
            async fn get(s: &AdminState, id: i64) -> Result<$item, AdminError> {
                store::$m::get(&s.store, id).await
            }
            async fn create(s: &AdminState, input: $input) -> Result<Saved<$item>, AdminError> {
                store::$m::create(&s.store, input).await
            }
            async fn update(
                s: &AdminState,
                id: i64,
                input: $input,
            ) -> Result<Saved<$item>, AdminError> {
                store::$m::update(&s.store, id, input).await
            }
            async fn delete(s: &AdminState, id: i64) -> Result<(), AdminError> {
                store::$m::delete(&s.store, id).await
            }
        }
    };
}

resource!(
    Projects,
    "projects",
    "Project",
    "project",
    projects,
    store::projects::Project,
    store::projects::ProjectInput,
    &["id"]
);
resource!(
    Statuses,
    "statuses",
    "Status",
    "status",
    statuses,
    store::statuses::Status,
    store::statuses::StatusInput,
    &["id", "system"]
);
resource!(
    QueueGroups,
    "queue-groups",
    "QueueGroup",
    "queue group",
    queue_groups,
    store::queue_groups::QueueGroup,
    store::queue_groups::QueueGroupInput,
    &["id"]
);
resource!(
    ResultCodes,
    "result-codes",
    "ResultCode",
    "result code",
    result_codes,
    store::result_codes::ResultCode,
    store::result_codes::ResultCodeInput,
    &["id"]
);
resource!(
    Tags,
    "tags",
    "Tag",
    "tag",
    tags,
    store::tags::Tag,
    store::tags::TagInput,
    &["id"]
);
resource!(
    Routes,
    "routes",
    "Route",
    "route",
    routes,
    store::routes::RouteEntry,
    store::routes::RouteInput,
    &["id"]
);
resource!(
    Menus,
    "ivr-menus",
    "IvrMenu",
    "menu",
    ivr,
    store::ivr::Menu,
    store::ivr::MenuInput,
    &["id"]
);
resource!(
    TimeConditions,
    "time-conditions",
    "TimeCondition",
    "time condition",
    conditions,
    store::conditions::Condition,
    store::conditions::ConditionInput,
    &["id"]
);
resource!(
    Blacklist,
    "blacklist",
    "BlacklistEntry",
    "blacklist entry",
    blacklist,
    store::blacklist::BlacklistEntry,
    store::blacklist::BlacklistInput,
    &["id"]
);
resource!(
    OutboundRoutes,
    "outbound-routes",
    "OutboundRoute",
    "outbound route",
    outbound_routes,
    store::outbound_routes::OutboundRoute,
    store::outbound_routes::OutboundRouteInput,
    &["id"]
);
resource!(
    Profiles,
    "profiles",
    "Profile",
    "profile",
    profiles,
    store::profiles::Profile,
    store::profiles::ProfileInput,
    &["id"]
);
/// Users: a password sent with a replace (the administrator's reset) also
/// ends the user's back-off from failed logins.
pub struct Users;

impl Resource for Users {
    const PATH: &'static str = "users";
    const SCHEMA: &'static str = "User";
    const WHAT: &'static str = "user";
    const READ_ONLY: &'static [&'static str] =
        &["id", "extensions", "has_password", "failed_logins"];
    type Item = store::users::User;
    type Input = store::users::UserInput;

    fn id(item: &store::users::User) -> i64 {
        item.id
    }
    async fn list(s: &AdminState) -> Result<Vec<store::users::User>, AdminError> {
        store::users::list(&s.store).await
    }
    async fn get(s: &AdminState, id: i64) -> Result<store::users::User, AdminError> {
        store::users::get(&s.store, id).await
    }
    async fn create(
        s: &AdminState,
        input: store::users::UserInput,
    ) -> Result<Saved<store::users::User>, AdminError> {
        store::users::create(&s.store, input).await
    }
    async fn update(
        s: &AdminState,
        id: i64,
        input: store::users::UserInput,
    ) -> Result<Saved<store::users::User>, AdminError> {
        let reset = input.password.is_some();
        let saved = store::users::update(&s.store, id, input).await?;
        if reset {
            s.login_guard.forget_user(&saved.item.username);
        }
        Ok(saved)
    }
    async fn delete(s: &AdminState, id: i64) -> Result<(), AdminError> {
        store::users::delete(&s.store, id).await
    }
}
resource!(
    AgentGroups,
    "agent-groups",
    "AgentGroup",
    "agent group",
    agent_groups,
    store::member_groups::MemberGroup,
    store::member_groups::MemberGroupInput,
    &["id"]
);
resource!(
    PickupGroups,
    "pickup-groups",
    "PickupGroup",
    "pickup group",
    pickup_groups,
    store::member_groups::MemberGroup,
    store::member_groups::MemberGroupInput,
    &["id"]
);

/// Queues: checked against the server's queue rules (video, announcement lengths).
pub struct Queues;

impl Resource for Queues {
    const PATH: &'static str = "queues";
    const SCHEMA: &'static str = "Queue";
    const WHAT: &'static str = "queue";
    const READ_ONLY: &'static [&'static str] = &["id"];
    type Item = Queue;
    type Input = QueueInput;

    fn id(item: &Queue) -> i64 {
        item.id
    }
    async fn list(s: &AdminState) -> Result<Vec<Queue>, AdminError> {
        queues::list(&s.store).await
    }
    async fn get(s: &AdminState, id: i64) -> Result<Queue, AdminError> {
        queues::get(&s.store, id).await
    }
    async fn create(s: &AdminState, input: QueueInput) -> Result<Saved<Queue>, AdminError> {
        queues::create(&s.store, &s.queue_rules, input).await
    }
    async fn update(
        s: &AdminState,
        id: i64,
        input: QueueInput,
    ) -> Result<Saved<Queue>, AdminError> {
        queues::update(&s.store, &s.queue_rules, id, input).await
    }
    async fn delete(s: &AdminState, id: i64) -> Result<(), AdminError> {
        queues::delete(&s.store, id).await
    }
}

impl Checked for Queues {
    async fn check(
        s: &AdminState,
        id: Option<i64>,
        input: QueueInput,
    ) -> Result<Vec<Warning>, AdminError> {
        queues::check(&s.store, &s.queue_rules, id, input).await
    }
}

impl Checked for Tags {
    async fn check(
        s: &AdminState,
        id: Option<i64>,
        input: store::tags::TagInput,
    ) -> Result<Vec<Warning>, AdminError> {
        store::tags::check(&s.store, id, &input).await
    }
}

/// Trunks: the password becomes its HA1 values before the store sees it.
pub struct Trunks;

/// The HA1 values of the input's password, when it has a username and one.
async fn secret(s: &AdminState, input: &TrunkInput) -> Result<Option<DigestSecret>, AdminError> {
    let (Some(username), Some(password)) = (&input.username, &input.password) else {
        return Ok(None);
    };
    let realm = s.store.digest_realm().await?;
    Ok(realm.map(|realm| DigestSecret {
        ha1_md5: ha1(Algorithm::Md5, username.trim(), &realm, password),
        ha1_sha256: ha1(Algorithm::Sha256, username.trim(), &realm, password),
        realm,
    }))
}

impl Resource for Trunks {
    const PATH: &'static str = "trunks";
    const SCHEMA: &'static str = "Trunk";
    const WHAT: &'static str = "trunk";
    const READ_ONLY: &'static [&'static str] = &["id", "registration"];
    type Item = TrunkEntry;
    type Input = TrunkInput;

    fn id(item: &TrunkEntry) -> i64 {
        item.id
    }
    async fn list(s: &AdminState) -> Result<Vec<TrunkEntry>, AdminError> {
        let mut list = trunks::list(&s.store).await?;
        for t in &mut list {
            t.registration = s.registrations.status(t);
        }
        Ok(list)
    }
    async fn get(s: &AdminState, id: i64) -> Result<TrunkEntry, AdminError> {
        let mut t = trunks::get(&s.store, id).await?;
        t.registration = s.registrations.status(&t);
        Ok(t)
    }
    async fn create(s: &AdminState, input: TrunkInput) -> Result<Saved<TrunkEntry>, AdminError> {
        let secret = secret(s, &input).await?;
        trunks::create(&s.store, input, secret).await
    }
    async fn update(
        s: &AdminState,
        id: i64,
        input: TrunkInput,
    ) -> Result<Saved<TrunkEntry>, AdminError> {
        let secret = secret(s, &input).await?;
        trunks::update(&s.store, id, input, secret).await
    }
    async fn delete(s: &AdminState, id: i64) -> Result<(), AdminError> {
        trunks::delete(&s.store, id).await
    }
}
