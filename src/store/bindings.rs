//! Registrar bindings, so registrations survive a restart.
//!
//! The registrar decides; this file only keeps the result. Each change replaces
//! the whole binding set of one address-of-record, and many changes are
//! committed in one transaction (group commit), which is what lets thousands
//! of REGISTERs a second be durable before they are answered.

use sqlx::Row;

use super::{Store, StoreError};

/// One stored binding of an address-of-record to a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct BindingRow {
    pub aor: String,
    pub contact: String,
    pub expires_at_ms: i64,
    pub q: Option<f32>,
    pub call_id: String,
    pub cseq: u32,
    /// The Via transport token the binding was made over (`UDP`, `TCP`, `WS`...).
    pub transport: String,
    /// The source address of the REGISTER (`ip:port`).
    pub source: String,
    pub user_agent: String,
}

/// The channel (LISTEN/NOTIFY) on which a node of several tells the others
/// which AORs' bindings it changed: its name, then one AOR per line.
pub const BINDINGS_CHANNEL: &str = "switchboard_bindings";

/// The payloads telling `aors` changed, each under PostgreSQL's 8000-byte
/// limit.
fn binding_notices<'a>(node: &str, aors: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = node.to_owned();
    for aor in aors {
        if current.len() + aor.len() + 1 > 7000 && current.len() > node.len() {
            out.push(std::mem::replace(&mut current, node.to_owned()));
        }
        current.push('\n');
        current.push_str(aor);
    }
    if current.len() > node.len() {
        out.push(current);
    }
    out
}

fn binding_row(row: &crate::store::DbRow) -> Result<BindingRow, StoreError> {
    Ok(BindingRow {
        aor: row.try_get(0)?,
        contact: row.try_get(1)?,
        expires_at_ms: row.try_get(2)?,
        q: row.try_get::<Option<f64>, _>(3)?.map(|q| q as f32),
        call_id: row.try_get(4)?,
        cseq: u32::try_from(row.try_get::<i64, _>(5)?).unwrap_or(0),
        transport: row.try_get(6)?,
        source: row.try_get(7)?,
        user_agent: row.try_get(8)?,
    })
}

impl Store {
    /// Replaces the binding sets of several addresses-of-record in one
    /// transaction. An empty set removes every binding of its AOR.
    pub async fn replace_bindings(
        &self,
        sets: &[(String, Vec<BindingRow>)],
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await?;
        for (aor, rows) in sets {
            sqlx::query("DELETE FROM registrations WHERE aor = $1")
                .bind(aor)
                .execute(&mut *tx)
                .await?;
            for row in rows {
                sqlx::query(
                    "INSERT INTO registrations (aor, contact, expires_at_ms, q, call_id, cseq, transport, source, user_agent) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&row.aor)
                .bind(&row.contact)
                .bind(row.expires_at_ms)
                .bind(row.q)
                .bind(&row.call_id)
                .bind(i64::from(row.cseq))
                .bind(&row.transport)
                .bind(&row.source)
                .bind(&row.user_agent)
                .execute(&mut *tx)
                .await?;
            }
        }
        if let Some(node) = self.node() {
            // The other nodes reload these AORs when this commits.
            for payload in binding_notices(node, sets.iter().map(|(aor, _)| aor.as_str())) {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(BINDINGS_CHANNEL)
                    .bind(payload)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The bindings of `aor` in force at `now_ms`.
    pub async fn load_bindings_of(
        &self,
        aor: &str,
        now_ms: i64,
    ) -> Result<Vec<BindingRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT aor, contact, expires_at_ms, q, call_id, cseq, transport, source, user_agent \
             FROM registrations WHERE aor = $1 AND expires_at_ms > $2 ORDER BY contact",
        )
        .bind(aor)
        .bind(now_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(binding_row).collect()
    }

    /// Every binding still in force at `now_ms`; expired ones are deleted.
    pub async fn load_bindings(&self, now_ms: i64) -> Result<Vec<BindingRow>, StoreError> {
        sqlx::query("DELETE FROM registrations WHERE expires_at_ms <= $1")
            .bind(now_ms)
            .execute(self.pool())
            .await?;
        let rows = sqlx::query(
            "SELECT aor, contact, expires_at_ms, q, call_id, cseq, transport, source, user_agent \
             FROM registrations ORDER BY aor, contact",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(binding_row).collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn binding_notices_name_the_node_and_split_under_the_payload_limit() {
        assert!(super::binding_notices("a", std::iter::empty()).is_empty());
        assert_eq!(
            super::binding_notices("a", ["1001", "1002"].into_iter()),
            vec!["a\n1001\n1002".to_owned()]
        );
        let many: Vec<String> = (0..2000).map(|i| format!("user{i:05}")).collect();
        let notices = super::binding_notices("node-1", many.iter().map(String::as_str));
        assert!(notices.len() > 1);
        assert!(notices
            .iter()
            .all(|n| n.len() <= 7000 && n.starts_with("node-1\n")));
        let told: Vec<&str> = notices.iter().flat_map(|n| n.lines().skip(1)).collect();
        assert_eq!(told, many.iter().map(String::as_str).collect::<Vec<_>>());
    }

    use super::*;
    use crate::store::test_support::temp_store;

    fn row(aor: &str, contact: &str, expires_at_ms: i64) -> BindingRow {
        BindingRow {
            aor: aor.into(),
            contact: contact.into(),
            expires_at_ms,
            q: Some(0.5),
            call_id: "c1".into(),
            cseq: 7,
            transport: "UDP".into(),
            source: "192.0.2.1:5060".into(),
            user_agent: "phone".into(),
        }
    }

    #[tokio::test]
    async fn bindings_are_replaced_per_aor_and_expired_ones_dropped_on_load() {
        let (store, _dir) = temp_store().await;
        store
            .replace_bindings(&[
                (
                    "sip:a@x".into(),
                    vec![
                        row("sip:a@x", "sip:a@1", 1000),
                        row("sip:a@x", "sip:a@2", 5000),
                    ],
                ),
                ("sip:b@x".into(), vec![row("sip:b@x", "sip:b@1", 5000)]),
            ])
            .await
            .unwrap();
        store
            .replace_bindings(&[("sip:b@x".into(), vec![])])
            .await
            .unwrap();
        let url = store.url().to_owned();
        store.close().await;
        // A fresh open of the same file, as after a restart.
        let store = Store::open(&url).await.unwrap();
        let loaded = store.load_bindings(2000).await.unwrap();
        assert_eq!(loaded, vec![row("sip:a@x", "sip:a@2", 5000)]);
    }
}
