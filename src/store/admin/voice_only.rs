//! A SIP call never enters a text queue. Whatever sends calls into a queue
//! must lead to a voice (or video) queue: a route, and the exit target of a
//! queue that takes calls. The route and queue editors refuse the rest with
//! 422; call control still checks at run time, for rows stored before this
//! rule (see `call::admission`).

use super::{AdminError, Check};

/// Whether queue `id` exists and is a text queue.
pub(crate) async fn is_text(
    conn: &mut crate::store::DbConnection,
    id: i64,
) -> Result<bool, AdminError> {
    let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM queues WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(kind.as_deref() == Some("text"))
}

/// Fails `field` when queue `id` is a text queue: a route or a call's exit
/// would send SIP calls into it.
pub(crate) async fn check_target(
    conn: &mut crate::store::DbConnection,
    c: &mut Check,
    field: &str,
    id: i64,
) -> Result<(), AdminError> {
    if is_text(conn, id).await? {
        c.fail(
            field,
            "a text queue takes no SIP calls: choose a voice queue",
        );
    }
    Ok(())
}

/// Fails `type` when queue `id`, about to become a text queue, is where
/// routes or the exits of call queues send calls.
pub(crate) async fn check_becoming_text(
    conn: &mut crate::store::DbConnection,
    c: &mut Check,
    id: i64,
) -> Result<(), AdminError> {
    let routes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM routes WHERE queue_id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let exits: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM queues WHERE exit_queue_id = $1 AND kind <> 'text' AND id <> $2",
    )
    .bind(id)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if routes > 0 || exits > 0 {
        c.fail(
            "type",
            format!(
                "SIP calls reach this queue ({routes} routes, {exits} call queues' exits): \
                 a text queue takes none; send them elsewhere first"
            ),
        );
    }
    Ok(())
}
