//! A queue's assigned agents: the users who serve it, each mandatory (joins the
//! queue whenever logging in to its project) or not. The whole list is read
//! and replaced at once; every user must exist and be listed once. A queue
//! with assigned agents cannot be deleted.

use serde::{Deserialize, Serialize};

use super::{AdminError, Check};
use crate::store::Store;

/// One agent assigned to a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub user_id: i64,
    #[serde(default)]
    pub mandatory: bool,
}

/// The queue's agents, by user id.
pub async fn get(store: &Store, queue_id: i64) -> Result<Vec<Assignment>, AdminError> {
    let mut conn = store.pool().acquire().await?;
    if !super::exists(&mut conn, "queues", queue_id).await? {
        return Err(AdminError::NotFound("queue"));
    }
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT user_id, CAST(mandatory AS INTEGER) FROM queue_agents WHERE queue_id = $1 ORDER BY user_id",
    )
    .bind(queue_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, mandatory)| Assignment {
            user_id,
            mandatory: mandatory != 0,
        })
        .collect())
}

/// Replaces the queue's agents with `agents`; answers the list as stored.
pub async fn set(
    store: &Store,
    queue_id: i64,
    mut agents: Vec<Assignment>,
) -> Result<Vec<Assignment>, AdminError> {
    let mut tx = store.begin().await?;
    if !super::exists(&mut tx, "queues", queue_id).await? {
        return Err(AdminError::NotFound("queue"));
    }
    let mut c = Check::default();
    for (i, a) in agents.iter().enumerate() {
        let field = format!("[{i}].user_id");
        if agents[..i].iter().any(|b| b.user_id == a.user_id) {
            c.fail(&field, "listed twice");
        } else if !super::exists(&mut tx, "users", a.user_id).await? {
            c.fail(&field, "no such user");
        }
    }
    c.finish()?;
    sqlx::query("DELETE FROM queue_agents WHERE queue_id = $1")
        .bind(queue_id)
        .execute(&mut *tx)
        .await?;
    for a in &agents {
        sqlx::query("INSERT INTO queue_agents (queue_id, user_id, mandatory) VALUES ($1, $2, $3)")
            .bind(queue_id)
            .bind(a.user_id)
            .bind(a.mandatory)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    agents.sort_by_key(|a| a.user_id);
    Ok(agents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::admin::queues;
    use crate::store::test_support::{project_with_queue, temp_store};

    #[tokio::test]
    async fn assignments_are_replaced_whole_and_name_real_users() {
        let (store, _dir) = temp_store().await;
        let (_, queue_id) = project_with_queue(&store).await;
        let u1 = store.set_extension("1001", "r", "a", "b").await.unwrap();
        let u2 = store.set_extension("1002", "r", "a", "b").await.unwrap();
        assert!(matches!(get(&store, 5).await, Err(AdminError::NotFound(_))));
        let bad = set(
            &store,
            queue_id,
            vec![
                Assignment {
                    user_id: u1,
                    mandatory: true,
                },
                Assignment {
                    user_id: u1,
                    mandatory: false,
                },
                Assignment {
                    user_id: 999_999,
                    mandatory: false,
                },
            ],
        )
        .await;
        let Err(AdminError::Invalid(errors)) = bad else {
            panic!("accepted")
        };
        assert_eq!(errors.len(), 2);
        let both = vec![
            Assignment {
                user_id: u2,
                mandatory: false,
            },
            Assignment {
                user_id: u1,
                mandatory: true,
            },
        ];
        set(&store, queue_id, both).await.unwrap();
        let stored = get(&store, queue_id).await.unwrap();
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0].user_id, u1.min(u2));
        assert!(matches!(
            queues::delete(&store, queue_id).await,
            Err(AdminError::Conflict { .. })
        ));
        set(&store, queue_id, Vec::new()).await.unwrap();
        queues::delete(&store, queue_id).await.unwrap();
    }
}
