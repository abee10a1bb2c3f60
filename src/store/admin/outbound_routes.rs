//! Outbound routes: how a project's calls to the outside leave. Each route
//! has a dial pattern ([`dial_pattern`](super::dial_pattern)), rewrites the
//! number (strips leading characters, prepends a prefix), names the trunk the
//! call leaves through and, optionally, the caller ID it presents. A project's
//! routes are an ordered list (`position`, then name); call control takes the
//! first that matches. The rules kept here: a route's name is unique in its
//! project; the project and trunk exist; the pattern parses; the prefix and
//! caller ID are dialable; a route cannot strip more than its pattern fixes
//! (a number it takes is never stripped to nothing). A trunk a route leads to
//! cannot be deleted; deleting a project deletes its routes.

use crate::store::DbRow;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::dial_pattern::{is_dialable, DialPattern};
use super::{new_id, now_ms, AdminError, Check, FieldError, Saved};
use crate::store::Store;

/// The most characters a route may strip or prepend.
pub const MAX_STRIP: i64 = 32;

/// A stored outbound route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboundRoute {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    /// Lower positions are tried first; equal positions by name.
    pub position: i64,
    pub pattern: String,
    /// Leading characters removed from the dialled number.
    pub strip_digits: i64,
    /// Put in front of the number after stripping.
    pub prepend: String,
    pub trunk_id: i64,
    /// The caller ID presented, unless the queue or project sets one.
    pub caller_id: Option<String>,
}

/// What a client sends to create or replace an outbound route.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundRouteInput {
    pub project_id: i64,
    pub name: String,
    #[serde(default)]
    pub position: i64,
    pub pattern: String,
    #[serde(default)]
    pub strip_digits: i64,
    #[serde(default)]
    pub prepend: String,
    pub trunk_id: i64,
    #[serde(default)]
    pub caller_id: Option<String>,
}

/// Checks the fields that need no database.
fn check(input: &OutboundRouteInput) -> Check {
    let mut c = Check::default();
    c.text("name", &input.name, 100);
    c.range("position", input.position, 0, 1_000_000);
    c.range("strip_digits", input.strip_digits, 0, MAX_STRIP);
    match DialPattern::parse(input.pattern.trim()) {
        Err(why) => c.fail("pattern", why),
        Ok(p) => {
            let fixed = fixed_len(&p);
            if input.strip_digits > fixed {
                c.fail(
                    "strip_digits",
                    format!("the pattern fixes only {fixed} leading character(s)"),
                );
            }
        }
    }
    if !input.prepend.is_empty()
        && (!is_dialable(&input.prepend) || input.prepend.len() > MAX_STRIP as usize)
    {
        c.fail(
            "prepend",
            format!("must be up to {MAX_STRIP} digits, +, * or #"),
        );
    }
    check_caller_id(&mut c, input.caller_id.as_deref());
    c
}

/// How many characters every number a pattern takes has at least.
fn fixed_len(p: &DialPattern) -> i64 {
    // A literal is all fixed; a pattern fixes what comes before its tail.
    let text = p.as_str();
    match text.strip_prefix('_') {
        None => text.len() as i64,
        Some(body) => {
            let mut n = 0;
            let mut in_set = false;
            for b in body.bytes() {
                match b {
                    b'[' => in_set = true,
                    b']' => {
                        in_set = false;
                        n += 1;
                    }
                    b'.' | b'!' => {}
                    _ if in_set => {}
                    _ => n += 1,
                }
            }
            n
        }
    }
}

/// Fails the field `caller_id` of a route, project or queue when it is set
/// and not a caller ID ([`is_caller_id`]).
pub fn check_caller_id(c: &mut Check, caller_id: Option<&str>) {
    if caller_id.is_some_and(|id| !is_caller_id(id)) {
        c.fail("caller_id", "must be 1 to 32 digits, optionally after a +");
    }
}

/// A caller ID to present: 1 to 32 digits, optionally after a `+`.
pub fn is_caller_id(text: &str) -> bool {
    let digits = text.strip_prefix('+').unwrap_or(text);
    !digits.is_empty() && digits.len() <= 32 && digits.bytes().all(|b| b.is_ascii_digit())
}

const COLUMNS: &str =
    "id, project_id, name, position, pattern, strip_digits, prepend, trunk_id, caller_id";

fn from_row(row: &DbRow) -> Result<OutboundRoute, sqlx::Error> {
    Ok(OutboundRoute {
        id: row.try_get(0)?,
        project_id: row.try_get(1)?,
        name: row.try_get(2)?,
        position: row.try_get(3)?,
        pattern: row.try_get(4)?,
        strip_digits: row.try_get(5)?,
        prepend: row.try_get(6)?,
        trunk_id: row.try_get(7)?,
        caller_id: row.try_get(8)?,
    })
}

/// Every route, each project's in the order they are tried.
pub async fn list(store: &Store) -> Result<Vec<OutboundRoute>, AdminError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM outbound_routes ORDER BY project_id, position, name"
    ))
    .fetch_all(store.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

pub async fn get(store: &Store, id: i64) -> Result<OutboundRoute, AdminError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM outbound_routes WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .ok_or(AdminError::NotFound("outbound route"))?;
    Ok(from_row(&row)?)
}

pub async fn create(
    store: &Store,
    input: OutboundRouteInput,
) -> Result<Saved<OutboundRoute>, AdminError> {
    save(store, None, input).await
}

pub async fn update(
    store: &Store,
    id: i64,
    input: OutboundRouteInput,
) -> Result<Saved<OutboundRoute>, AdminError> {
    save(store, Some(id), input).await
}

async fn save(
    store: &Store,
    id: Option<i64>,
    input: OutboundRouteInput,
) -> Result<Saved<OutboundRoute>, AdminError> {
    let mut c = check(&input);
    let mut tx = store.begin().await?;
    if let Some(id) = id {
        if !super::exists(&mut tx, "outbound_routes", id).await? {
            return Err(AdminError::NotFound("outbound route"));
        }
    }
    if !super::exists(&mut tx, "projects", input.project_id).await? {
        c.fail("project_id", "no such project");
    }
    if !super::exists(&mut tx, "trunks", input.trunk_id).await? {
        c.fail("trunk_id", "no such trunk");
    }
    c.finish()?;
    let name = input.name.trim().to_owned();
    let clash: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbound_routes WHERE project_id = $1 AND name = $2 AND id <> $3",
    )
    .bind(input.project_id)
    .bind(&name)
    .bind(id.unwrap_or(0))
    .fetch_one(&mut *tx)
    .await?;
    if clash > 0 {
        return Err(AdminError::Conflict {
            detail: format!("the project already has an outbound route named {name:?}"),
            errors: vec![FieldError {
                field: "name".into(),
                message: "already in use in this project".into(),
            }],
        });
    }
    let route = OutboundRoute {
        id: id.unwrap_or_else(new_id),
        project_id: input.project_id,
        name,
        position: input.position,
        pattern: input.pattern.trim().to_owned(),
        strip_digits: input.strip_digits,
        prepend: input.prepend,
        trunk_id: input.trunk_id,
        caller_id: input.caller_id,
    };
    let now = now_ms();
    let sql = if id.is_some() {
        "UPDATE outbound_routes SET project_id = $1, name = $2, position = $3, pattern = $4, \
         strip_digits = $5, prepend = $6, trunk_id = $7, caller_id = $8, updated_at = $9 WHERE id = $10"
    } else {
        "INSERT INTO outbound_routes (project_id, name, position, pattern, strip_digits, \
         prepend, trunk_id, caller_id, updated_at, created_at, id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    };
    let mut q = sqlx::query(sql)
        .bind(route.project_id)
        .bind(&route.name)
        .bind(route.position)
        .bind(&route.pattern)
        .bind(route.strip_digits)
        .bind(&route.prepend)
        .bind(route.trunk_id)
        .bind(&route.caller_id)
        .bind(now);
    if id.is_none() {
        q = q.bind(now);
    }
    q.bind(route.id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Saved::plain(route))
}

pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let done = sqlx::query("DELETE FROM outbound_routes WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AdminError::NotFound("outbound route"));
    }
    Ok(())
}

/// The names of the outbound routes leading to trunk `id`, which keep it
/// from being deleted.
pub(crate) async fn using_trunk(
    conn: &mut crate::store::DbConnection,
    id: i64,
) -> Result<Vec<String>, AdminError> {
    Ok(
        sqlx::query_scalar("SELECT name FROM outbound_routes WHERE trunk_id = $1 ORDER BY name")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::admin::trunks;
    use crate::store::test_support::{project_with_queue, temp_store};

    fn input(v: serde_json::Value) -> OutboundRouteInput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_route_strips_no_more_than_its_pattern_fixes() {
        for (pattern, fixed) in [("_00.", 2), ("_9[1-3]X.", 3), ("112", 3), ("_!", 0)] {
            assert_eq!(fixed_len(&DialPattern::parse(pattern).unwrap()), fixed);
        }
        let bad = check(&input(serde_json::json!({
            "project_id": 1, "name": " ", "pattern": "_0.", "strip_digits": 3,
            "prepend": "9a", "trunk_id": 1, "caller_id": "+1 555"
        })));
        let fields: Vec<_> = bad.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "strip_digits", "prepend", "caller_id"]);
    }

    #[tokio::test]
    async fn routes_name_a_project_and_a_trunk_that_then_stays() {
        let (store, _dir) = temp_store().await;
        let (project, _) = project_with_queue(&store).await;
        let trunk = trunks::create(
            &store,
            serde_json::from_value(
                serde_json::json!({"name": "Carrier", "addresses": ["192.0.2.1"]}),
            )
            .unwrap(),
            None,
        )
        .await
        .unwrap()
        .item;
        let body = serde_json::json!({"project_id": project, "name": "National",
                                      "pattern": "_0N.", "strip_digits": 1,
                                      "prepend": "+49", "trunk_id": trunk.id});
        let Err(AdminError::Invalid(errors)) = create(
            &store,
            input(
                serde_json::json!({"project_id": 7, "name": "x", "pattern": "_0[",
                                     "trunk_id": 8}),
            ),
        )
        .await
        else {
            panic!("accepted")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["pattern", "project_id", "trunk_id"]);
        let made = create(&store, input(body.clone())).await.unwrap().item;
        assert_eq!(get(&store, made.id).await.unwrap(), made);
        assert!(matches!(
            create(&store, input(body.clone())).await,
            Err(AdminError::Conflict { .. })
        ));
        let Err(AdminError::Conflict { detail, .. }) = trunks::delete(&store, trunk.id).await
        else {
            panic!("a trunk in use was deleted")
        };
        assert!(detail.contains("National"), "{detail}");
        let mut moved = body;
        moved["position"] = 5.into();
        assert_eq!(
            update(&store, made.id, input(moved))
                .await
                .unwrap()
                .item
                .position,
            5
        );
        delete(&store, made.id).await.unwrap();
        assert!(list(&store).await.unwrap().is_empty());
        trunks::delete(&store, trunk.id).await.unwrap();
    }
}
