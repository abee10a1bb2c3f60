//! Trunks: the carriers and PBXs calls arrive from. The rules kept here: a
//! name is unique; a trunk lists at least one IP address or CIDR network it
//! sends from; its codecs are among those the media layer speaks (PCMU,
//! PCMA), each once; a trunk with a username must authenticate its INVITEs,
//! and only the digest HA1 values of its password are stored (the API layer
//! computes them for the server's realm, as for extensions). An outbound
//! destination, when set, is `host[:port][;transport=udp|tcp]` (see
//! [`super::destination`]). No answer ever carries a secret.

use std::net::IpAddr;

use crate::store::{flag, DbRow};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::destination::OutboundDestination;
use super::{duplicate, new_id, now_ms, taken, AdminError, Check, Saved};
use crate::store::Store;

/// The codecs a trunk may offer.
pub const CODECS: &[&str] = &["PCMU", "PCMA"];

/// A stored trunk as the API shows it: no password, no HA1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrunkEntry {
    pub id: i64,
    pub name: String,
    /// IP addresses and CIDR networks calls may come from.
    pub addresses: Vec<String>,
    /// Set when INVITEs must carry digest credentials of this username.
    pub username: Option<String>,
    pub codecs: Vec<String>,
    pub enabled: bool,
    /// Whether the server registers to the carrier as this trunk.
    pub register: bool,
    /// The carrier's registrar (a SIP URI), when registering.
    pub registrar: Option<String>,
    pub register_username: Option<String>,
    /// The expiry asked of the registrar, in seconds.
    pub register_expires: i64,
    /// Where outbound calls through the trunk are sent,
    /// `host[:port][;transport=udp|tcp]`; unset, the first single-host
    /// address on port 5060.
    pub outbound_destination: Option<String>,
    /// Where the registration stands (filled in by the running server);
    /// `null` for a trunk that does not register.
    pub registration: Option<RegistrationStatus>,
}

/// The running registration of a trunk to its carrier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrationStatus {
    /// `registering`, `registered`, `retrying`, `failed`, `unregistering` or
    /// `stopped`.
    pub state: String,
    /// When the carrier's binding runs out (Unix milliseconds), while it holds.
    pub expires_at: Option<i64>,
    /// Why the last attempt failed, until one succeeds.
    pub last_error: Option<String>,
}

/// What a client sends to create or replace a trunk.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkInput {
    pub name: String,
    pub addresses: Vec<String>,
    #[serde(default)]
    pub username: Option<String>,
    /// Needed with a username, except when replacing a trunk of the same
    /// username (its stored credentials are kept).
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default = "default_codecs")]
    pub codecs: Vec<String>,
    #[serde(default = "default_enabled")]
    pub enabled: bool,
    #[serde(default)]
    pub register: bool,
    #[serde(default)]
    pub registrar: Option<String>,
    #[serde(default)]
    pub register_username: Option<String>,
    /// Needed to register, except when replacing a trunk that keeps its
    /// registration username (the stored password is kept).
    #[serde(default)]
    pub register_password: Option<String>,
    #[serde(default = "default_register_expires")]
    pub register_expires: i64,
    #[serde(default)]
    pub outbound_destination: Option<String>,
}

fn default_register_expires() -> i64 {
    3600
}

/// Whether `text` is a `sip:` URI a REGISTER may go to: `sip:host` or
/// `sip:host:port`, no user part.
pub fn is_registrar(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("sip:") else {
        return false;
    };
    let host = rest.split(';').next().unwrap_or("");
    !host.is_empty()
        && host.len() <= 253
        && !host.contains('@')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

fn default_codecs() -> Vec<String> {
    CODECS.iter().map(|c| (*c).to_owned()).collect()
}

fn default_enabled() -> bool {
    true
}

/// The digest secret of a trunk's password, made by the API layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSecret {
    pub realm: String,
    pub ha1_md5: String,
    pub ha1_sha256: String,
}

/// Whether `text` is an IP address or a CIDR network (`10.0.0.0/8`, `::1/128`).
pub fn is_address_or_network(text: &str) -> bool {
    let (ip, prefix) = match text.split_once('/') {
        Some((ip, prefix)) => (ip, Some(prefix)),
        None => (text, None),
    };
    let Ok(ip) = ip.parse::<IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    match prefix {
        None => true,
        Some(p) => {
            p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u8>().is_ok_and(|n| n <= max)
        }
    }
}

/// Checks the fields that need no database.
fn check(input: &TrunkInput) -> Check {
    let mut c = Check::default();
    c.text("name", &input.name, 100);
    if input.addresses.is_empty() {
        c.fail("addresses", "list at least one IP address or CIDR network");
    } else if input.addresses.len() > 64 {
        c.fail("addresses", "at most 64 entries");
    }
    for (i, a) in input.addresses.iter().enumerate() {
        if !is_address_or_network(a.trim()) {
            c.fail(
                &format!("addresses[{i}]"),
                "must be an IP address or a CIDR network such as 10.0.0.0/8",
            );
        }
    }
    if input.codecs.is_empty() {
        c.fail("codecs", "list at least one codec");
    }
    for (i, codec) in input.codecs.iter().enumerate() {
        if !CODECS.contains(&codec.as_str()) {
            c.fail(
                &format!("codecs[{i}]"),
                format!("must be one of {}", CODECS.join(", ")),
            );
        } else if input.codecs[..i].contains(codec) {
            c.fail(&format!("codecs[{i}]"), "listed twice");
        }
    }
    match (&input.username, &input.password) {
        (Some(u), _) => {
            c.text("username", u, 64);
            if u.contains(|ch: char| ch.is_whitespace() || ch == ':' || ch == '"') {
                c.fail("username", "must not contain spaces, colons or quotes");
            }
        }
        (None, Some(_)) => c.fail("password", "a password needs a username"),
        (None, None) => {}
    }
    if let Some(p) = &input.password {
        if p.is_empty() || p.chars().count() > 128 {
            c.fail("password", "must be 1 to 128 characters");
        }
    }
    if let Some(r) = &input.registrar {
        if !is_registrar(r.trim()) {
            c.fail(
                "registrar",
                "must be a SIP URI such as sip:carrier.example:5060",
            );
        }
    }
    if let Some(u) = &input.register_username {
        c.text("register_username", u, 64);
        if u.contains(|ch: char| ch.is_whitespace() || ch == ':' || ch == '"' || ch == '@') {
            c.fail(
                "register_username",
                "must not contain spaces, colons, @ or quotes",
            );
        }
    }
    if let Some(p) = &input.register_password {
        if p.is_empty() || p.chars().count() > 128 {
            c.fail("register_password", "must be 1 to 128 characters");
        }
    }
    c.range("register_expires", input.register_expires, 60, 86_400);
    if let Some(d) = &input.outbound_destination {
        if let Err(why) = OutboundDestination::parse(d.trim()) {
            c.fail(
                "outbound_destination",
                format!("{why}: write host[:port][;transport=udp|tcp]"),
            );
        }
    }
    if input.register {
        if input.registrar.is_none() {
            c.fail("registrar", "required to register");
        }
        if input.register_username.is_none() {
            c.fail("register_username", "required to register");
        }
    }
    c
}

const COLUMNS: &str = "id, name, addresses, username, codecs, CAST(enabled AS INTEGER), \
                       CAST(register AS INTEGER), registrar, \
                       register_username, register_expires, outbound_destination";

fn from_row(row: &DbRow) -> Result<TrunkEntry, AdminError> {
    Ok(TrunkEntry {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        addresses: json_list(row.try_get(2)?)?,
        username: row.try_get(3)?,
        codecs: json_list(row.try_get(4)?)?,
        enabled: flag(row, 5)?,
        register: flag(row, 6)?,
        registrar: row.try_get(7)?,
        register_username: row.try_get(8)?,
        register_expires: row.try_get(9)?,
        outbound_destination: row.try_get(10)?,
        registration: None,
    })
}

pub(crate) fn json_list(text: &str) -> Result<Vec<String>, crate::store::StoreError> {
    serde_json::from_str(text)
        .map_err(|e| crate::store::StoreError::Invalid(format!("stored list {text:?}: {e}")))
}

pub async fn list(store: &Store) -> Result<Vec<TrunkEntry>, AdminError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM trunks ORDER BY name"))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(store: &Store, id: i64) -> Result<TrunkEntry, AdminError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM trunks WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(AdminError::NotFound("trunk"))?;
    from_row(&row)
}

/// Creates a trunk; `secret` is the HA1 of `input.password` (required when a
/// username is given).
pub async fn create(
    store: &Store,
    input: TrunkInput,
    secret: Option<DigestSecret>,
) -> Result<Saved<TrunkEntry>, AdminError> {
    save(store, None, input, secret).await
}

/// Replaces a trunk. Without a new `secret`, a trunk whose username is
/// unchanged keeps its stored credentials.
pub async fn update(
    store: &Store,
    id: i64,
    input: TrunkInput,
    secret: Option<DigestSecret>,
) -> Result<Saved<TrunkEntry>, AdminError> {
    save(store, Some(id), input, secret).await
}

/// A stored trunk's username, realm and HA1 values (MD5, SHA-256).
type StoredCredentials = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

async fn save(
    store: &Store,
    id: Option<i64>,
    input: TrunkInput,
    secret: Option<DigestSecret>,
) -> Result<Saved<TrunkEntry>, AdminError> {
    let mut c = check(&input);
    let name = input.name.trim().to_owned();
    let username = input.username.as_ref().map(|u| u.trim().to_owned());
    let mut tx = store.begin().await?;
    let stored: Option<StoredCredentials> = match id {
        Some(id) => Some(
            sqlx::query_as("SELECT username, realm, ha1_md5, ha1_sha256 FROM trunks WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(AdminError::NotFound("trunk"))?,
        ),
        None => None,
    };
    let register_username = input
        .register_username
        .as_ref()
        .map(|u| u.trim().to_owned());
    let register_password = match (&register_username, &input.register_password) {
        (None, _) => None,
        (Some(_), Some(p)) => Some(p.clone()),
        (Some(u), None) => {
            let kept: Option<(Option<String>, Option<String>)> = match id {
                Some(id) => {
                    sqlx::query_as(
                        "SELECT register_username, register_password FROM trunks WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                None => None,
            };
            match kept {
                Some((Some(old), Some(p))) if old == *u => Some(p),
                _ => {
                    if input.register {
                        c.fail("register_password", "required to register");
                    }
                    None
                }
            }
        }
    };
    let secret = match (&username, secret) {
        (None, _) => None,
        (Some(_), Some(s)) => Some(s),
        (Some(u), None) => match stored {
            Some((Some(old), Some(realm), Some(ha1_md5), Some(ha1_sha256))) if old == *u => {
                Some(DigestSecret {
                    realm,
                    ha1_md5,
                    ha1_sha256,
                })
            }
            _ => {
                if input.password.is_none() {
                    c.fail("password", "required with a username");
                }
                None
            }
        },
    };
    c.finish()?;
    if username.is_some() && secret.is_none() {
        return Err(AdminError::Invalid(vec![super::FieldError {
            field: "password".into(),
            message: "no digest realm is known to hash it for".into(),
        }]));
    }
    if taken(&mut tx, "trunks", "name", &name, id).await? {
        return Err(duplicate("name", "trunk", &name));
    }
    let addresses: Vec<String> = input
        .addresses
        .iter()
        .map(|a| a.trim().to_owned())
        .collect();
    let addresses_json = serde_json::to_string(&addresses).unwrap_or_default();
    let codecs_json = serde_json::to_string(&input.codecs).unwrap_or_default();
    let (realm, md5, sha256) = match &secret {
        Some(s) => (Some(&s.realm), Some(&s.ha1_md5), Some(&s.ha1_sha256)),
        None => (None, None, None),
    };
    let now = now_ms();
    let trunk_id = id.unwrap_or_else(new_id);
    let registrar = input.registrar.as_ref().map(|r| r.trim().to_owned());
    let outbound_destination = input
        .outbound_destination
        .as_ref()
        .map(|d| d.trim().to_owned());
    let sql = if id.is_some() {
        "UPDATE trunks SET name = $1, addresses = $2, username = $3, realm = $4, ha1_md5 = $5, \
         ha1_sha256 = $6, codecs = $7, enabled = $8, register = $9, registrar = $10, \
         register_username = $11, register_password = $12, register_expires = $13, \
         outbound_destination = $14, updated_at = $15 WHERE id = $16"
    } else {
        "INSERT INTO trunks (name, addresses, username, realm, ha1_md5, ha1_sha256, codecs, \
         enabled, register, registrar, register_username, register_password, register_expires, \
         outbound_destination, updated_at, created_at, id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    };
    let mut q = sqlx::query(sql)
        .bind(&name)
        .bind(&addresses_json)
        .bind(&username)
        .bind(realm)
        .bind(md5)
        .bind(sha256)
        .bind(&codecs_json)
        .bind(input.enabled)
        .bind(input.register)
        .bind(&registrar)
        .bind(&register_username)
        .bind(&register_password)
        .bind(input.register_expires)
        .bind(&outbound_destination)
        .bind(now);
    if id.is_none() {
        q = q.bind(now);
    }
    q.bind(trunk_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Saved::plain(TrunkEntry {
        id: trunk_id,
        name,
        addresses,
        username,
        codecs: input.codecs,
        enabled: input.enabled,
        register: input.register,
        registrar,
        register_username,
        register_expires: input.register_expires,
        outbound_destination,
        registration: None,
    }))
}

/// Deletes a trunk no outbound route leads to.
pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let mut tx = store.begin().await?;
    let routes = super::outbound_routes::using_trunk(&mut tx, id).await?;
    if !routes.is_empty() {
        return Err(AdminError::Conflict {
            detail: format!(
                "outbound routes still lead to the trunk: {}; change or delete them first",
                routes.join(", ")
            ),
            errors: Vec::new(),
        });
    }
    let done = sqlx::query("DELETE FROM trunks WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AdminError::NotFound("trunk"));
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_store;

    fn input(v: serde_json::Value) -> TrunkInput {
        serde_json::from_value(v).unwrap()
    }

    fn secret() -> DigestSecret {
        DigestSecret {
            realm: "r".into(),
            ha1_md5: "m".into(),
            ha1_sha256: "s".into(),
        }
    }

    #[test]
    fn addresses_and_networks() {
        for good in [
            "127.0.0.1",
            "::1",
            "10.0.0.0/8",
            "2001:db8::/32",
            "0.0.0.0/0",
        ] {
            assert!(is_address_or_network(good), "{good}");
        }
        for bad in [
            "",
            "localhost",
            "10.0.0.0/33",
            "::1/129",
            "1.2.3.4/",
            "1.2.3.4/+8",
        ] {
            assert!(!is_address_or_network(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_trunk_keeps_its_credentials_when_replaced_without_a_password() {
        let (store, _dir) = temp_store().await;
        let bad = create(
            &store,
            input(serde_json::json!({"name": "T", "addresses": ["nowhere"],
                                     "codecs": ["G729"], "password": "x",
                                     "outbound_destination": "carrier:99999"})),
            None,
        )
        .await;
        let Err(AdminError::Invalid(errors)) = bad else {
            panic!("accepted")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "addresses[0]",
                "codecs[0]",
                "password",
                "outbound_destination"
            ]
        );

        let body = serde_json::json!({"name": "Carrier", "addresses": ["10.0.0.0/8"],
                                      "username": "carrier", "password": "pw"});
        let made = create(&store, input(body.clone()), Some(secret()))
            .await
            .unwrap()
            .item;
        assert_eq!(made.codecs, ["PCMU", "PCMA"]);
        assert!(made.enabled);
        let mut replaced = body.clone();
        replaced["password"] = serde_json::Value::Null;
        replaced["enabled"] = false.into();
        update(&store, made.id, input(replaced), None)
            .await
            .unwrap();
        let trunks = store.trunks().await.unwrap();
        assert_eq!(trunks[0].ha1_md5.as_deref(), Some("m"));
        assert!(!trunks[0].enabled);
        let mut renamed = body;
        renamed["username"] = "other".into();
        renamed["password"] = serde_json::Value::Null;
        assert!(matches!(
            update(&store, made.id, input(renamed), None).await,
            Err(AdminError::Invalid(_))
        ));
        assert!(matches!(
            create(
                &store,
                input(serde_json::json!({"name": "Carrier", "addresses": ["::1"]})),
                None
            )
            .await,
            Err(AdminError::Conflict { .. })
        ));
        delete(&store, made.id).await.unwrap();
        assert!(list(&store).await.unwrap().is_empty());
    }
}
