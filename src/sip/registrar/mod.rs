//! The registrar (RFC 3261 section 10.3): authenticates REGISTER requests,
//! applies their contacts to the location service and makes the result
//! durable before answering.
//!
//! The address-of-record is the user part of the To URI: Switchboard serves
//! one domain, and phones name it in many ways (domain, IP address). The
//! authenticated user must be that user. Changes are written through
//! [`BindingStore`] by one persister task that commits many addresses-of-record
//! per transaction (group commit); each REGISTER is answered once its change is
//! committed, so an acknowledged registration survives a restart.
//!
//! A binding that only its connection can reach (a browser's `*.invalid`
//! Contact over WebSocket, RFC 7118 section 5) is removed as soon as that
//! connection closes ([`Registrar::connection_closed`]), so a browser that
//! reloads leaves behind nothing but its new binding.

mod bindings;

pub use bindings::{apply, BindingRules, ContactUpdate, Origin, Refusal, Update};

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use super::authenticator::{AuthOutcome, Authenticator, Directory, DirectoryError};
use super::location::{Binding, Location};
use super::message::{Contacts, HeaderName, Request, Response};
use super::metrics::SipMetrics;
use super::peer::{ConnectionId, Peer};

/// Where bindings are kept across restarts.
pub trait BindingStore: Send + Sync + 'static {
    /// Replaces the binding sets of several AORs at once (an empty set removes
    /// the AOR's bindings).
    fn save(
        &self,
        sets: Vec<(String, Vec<Binding>)>,
    ) -> impl Future<Output = Result<(), DirectoryError>> + Send;
}

/// The most AORs one commit carries.
const BATCH: usize = 512;

/// An address-of-record's bindings changed: how many contacts it has now.
/// Call control logs agents in and out of dispatch by these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationChange {
    pub aor: String,
    pub contacts: usize,
}

struct PersistRequest {
    aor: String,
    done: oneshot::Sender<bool>,
}

/// Handles REGISTER; shared by every request task.
pub struct Registrar<D> {
    rules: BindingRules,
    location: Arc<Location>,
    auth: Arc<Authenticator>,
    directory: Arc<D>,
    persist: mpsc::Sender<PersistRequest>,
    metrics: Arc<SipMetrics>,
    changes: std::sync::OnceLock<mpsc::UnboundedSender<RegistrationChange>>,
    /// The AORs each open connection holds connection-bound bindings for,
    /// so a closing connection touches only those.
    flows: Mutex<HashMap<ConnectionId, HashSet<String>>>,
}

impl<D: Directory + BindingStore> Registrar<D> {
    /// Creates the registrar and starts its persister task.
    pub fn start(
        rules: BindingRules,
        location: Arc<Location>,
        auth: Arc<Authenticator>,
        directory: Arc<D>,
        metrics: Arc<SipMetrics>,
    ) -> Registrar<D> {
        let (tx, rx) = mpsc::channel(BATCH * 8);
        tokio::spawn(persister(
            rx,
            location.clone(),
            directory.clone(),
            metrics.clone(),
        ));
        Registrar {
            rules,
            location,
            auth,
            directory,
            persist: tx,
            metrics,
            changes: std::sync::OnceLock::new(),
            flows: Mutex::new(HashMap::new()),
        }
    }

    /// Reports every later change of any address-of-record's bindings. Only
    /// the first call gets the changes.
    pub fn watch(&self) -> mpsc::UnboundedReceiver<RegistrationChange> {
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = self.changes.set(tx);
        rx
    }

    fn changed(&self, aor: &str, contacts: usize) {
        if let Some(tx) = self.changes.get() {
            let _ = tx.send(RegistrationChange {
                aor: aor.to_owned(),
                contacts,
            });
        }
    }

    pub fn location(&self) -> &Arc<Location> {
        &self.location
    }

    /// Takes `aor`'s bindings as another node stored them (nodes of several
    /// share registrations, so any of them reaches any phone) and reports
    /// the change as a REGISTER here would.
    pub fn adopt(&self, aor: &str, bindings: Vec<Binding>) {
        let contacts = bindings.len();
        self.location.update(aor, |set| *set = bindings);
        self.changed(aor, contacts);
    }

    /// Answers one REGISTER that arrived from `from` at `now_ms`.
    pub async fn register(&self, req: &Request, from: Peer, now_ms: u64) -> Response {
        let authorizations: Vec<&str> = req
            .headers
            .get_all(&HeaderName::Authorization)
            .filter_map(|v| std::str::from_utf8(v).ok())
            .collect();
        let account = match self
            .auth
            .check(
                &*self.directory,
                &authorizations,
                "REGISTER",
                from.addr.ip(),
                now_ms,
            )
            .await
        {
            AuthOutcome::Authenticated(account) => account,
            AuthOutcome::Challenge { stale } => {
                let mut resp = Response::for_request(req, 401, "Unauthorized");
                for value in self.auth.challenges(stale, now_ms) {
                    resp.headers.push(HeaderName::WwwAuthenticate, value);
                }
                return resp;
            }
            AuthOutcome::Forbidden(reason) => return Response::for_request(req, 403, reason),
            AuthOutcome::Unavailable => {
                let mut resp = Response::for_request(req, 500, "Directory unavailable");
                resp.headers.push(HeaderName::RetryAfter, "5");
                return resp;
            }
        };
        let Ok(to) = req.to() else {
            return Response::for_request(req, 400, "Invalid To header");
        };
        let Some(aor) = to.uri.user().map(str::to_owned) else {
            return Response::for_request(req, 404, "Address-of-record has no user part");
        };
        if account.username != aor {
            return Response::for_request(req, 403, "Credentials are for another user");
        }

        let update = match read_update(req) {
            Ok(update) => update,
            Err(reason) => return Response::for_request(req, 400, reason),
        };
        let origin = Origin {
            call_id: req.call_id().unwrap_or_default().to_owned(),
            cseq: req.cseq().map(|c| c.seq).unwrap_or(0),
            source: from,
            user_agent: req
                .headers
                .get(&HeaderName::UserAgent)
                .and_then(|v| std::str::from_utf8(v).ok())
                .unwrap_or("")
                .to_owned(),
        };
        // The bindings in force after this request, taken under the same lock
        // (apply has already dropped lapsed ones), for the 200's Contact list.
        let outcome = self.location.update(&aor, |set| {
            apply(&self.rules, set, &update, &origin, now_ms).map(|changed| (changed, set.clone()))
        });
        let current = match outcome {
            Err(Refusal::IntervalTooBrief { min_expires }) => {
                let mut resp = Response::for_request(req, 423, "Interval Too Brief");
                resp.headers
                    .push(HeaderName::MinExpires, min_expires.to_string());
                return resp;
            }
            Err(Refusal::OutOfOrder) => {
                return Response::for_request(req, 400, "CSeq out of order for this Call-ID")
            }
            Ok((true, current)) => {
                SipMetrics::bump(&self.metrics.registrations);
                if !self.persist_now(aor.clone()).await {
                    let mut resp = Response::for_request(req, 500, "Registration not stored");
                    resp.headers.push(HeaderName::RetryAfter, "5");
                    return resp;
                }
                self.changed(&aor, current.len());
                current
            }
            Ok((false, current)) => current,
        };
        if let Some(id) = from.connection {
            let bound = |b: &Binding| b.source.connection == Some(id) && b.is_connection_bound();
            if current.iter().any(bound) {
                self.lock_flows().entry(id).or_default().insert(aor.clone());
            }
        }
        let mut resp = Response::for_request(req, 200, "OK");
        for binding in current {
            let mut value = format!(
                "<{}>;expires={}",
                binding.contact,
                binding.remaining_secs(now_ms)
            );
            if let Some(q) = binding.q {
                value.push_str(&format!(";q={q}"));
            }
            resp.headers.push(HeaderName::Contact, value);
        }
        resp
    }

    /// Removes the bindings that only the connection of `peer` could reach,
    /// now that it has closed, and records the removal. Bindings of the same
    /// AOR on other connections or addresses stay.
    pub async fn connection_closed(&self, peer: Peer) {
        let Some(id) = peer.connection else { return };
        let Some(aors) = self.lock_flows().remove(&id) else {
            return;
        };
        let mut changed = Vec::new();
        for aor in aors {
            let left = self.location.update(&aor, |set| {
                let before = set.len();
                set.retain(|b| !(b.source.connection == Some(id) && b.is_connection_bound()));
                (set.len() != before).then(|| (before - set.len(), set.len()))
            });
            if let Some((removed, left)) = left {
                self.metrics
                    .bindings_connection_closed
                    .fetch_add(removed as u64, std::sync::atomic::Ordering::Relaxed);
                tracing::debug!(%aor, %peer, removed, "bindings of a closed connection removed");
                self.changed(&aor, left);
                changed.push(aor);
            }
        }
        // Through the persister, so this write is ordered with the REGISTERs
        // of the same AORs.
        let mut commits = Vec::with_capacity(changed.len());
        for aor in changed {
            let Some(committed) = self.queue_persist(aor).await else {
                return;
            };
            commits.push(committed);
        }
        for committed in commits {
            let _ = committed.await;
        }
    }

    /// Removes the binding of `aor` at `contact` because it cannot take our
    /// calls (`why` goes in the log), and records the removal like an expiry:
    /// call control sees the AOR's contacts change. A later REGISTER of the
    /// same contact binds it again.
    pub async fn drop_unusable(&self, aor: &str, contact: &str, why: &str) {
        let left = self.location.update(aor, |set| {
            let before = set.len();
            set.retain(|b| b.contact != contact);
            (set.len() != before).then_some(set.len())
        });
        let Some(left) = left else { return };
        SipMetrics::bump(&self.metrics.bindings_unusable);
        tracing::warn!(%aor, %contact, reason = why, "binding removed: the contact cannot take calls until it registers again");
        self.changed(aor, left);
        self.persist_now(aor.to_owned()).await;
    }

    fn lock_flows(&self) -> std::sync::MutexGuard<'_, HashMap<ConnectionId, HashSet<String>>> {
        self.flows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `aor` for the next commit and waits for it.
    async fn persist_now(&self, aor: String) -> bool {
        match self.queue_persist(aor).await {
            Some(committed) => committed.await.unwrap_or(false),
            None => false,
        }
    }

    /// Queues `aor` for the next commit; the receiver hears whether it was
    /// stored. `None` when the persister has stopped.
    async fn queue_persist(&self, aor: String) -> Option<oneshot::Receiver<bool>> {
        let (done, committed) = oneshot::channel();
        self.persist.send(PersistRequest { aor, done }).await.ok()?;
        Some(committed)
    }

    /// Drops lapsed bindings and records the removal; call it periodically.
    pub async fn expire(&self, now_ms: u64) {
        let changed = self.location.expire(now_ms);
        if changed.is_empty() {
            return;
        }
        for (aor, set) in &changed {
            self.changed(aor, set.len());
        }
        let removed: usize = changed.len();
        self.metrics
            .bindings_expired
            .fetch_add(removed as u64, std::sync::atomic::Ordering::Relaxed);
        if let Err(e) = self.directory.save(changed).await {
            SipMetrics::bump(&self.metrics.persist_failures);
            tracing::error!(error = %e, "storing expired bindings failed");
        }
    }
}

/// Reads the Contact and Expires headers of a REGISTER (section 10.3 step 6).
fn read_update(req: &Request) -> Result<Update, &'static str> {
    let header_expires = req.expires().map_err(|_| "Invalid Expires header")?;
    match req.contacts().map_err(|_| "Invalid Contact header")? {
        Contacts::Star => {
            // Section 10.2.2: `*` only alone and only with Expires: 0.
            if header_expires != Some(0) {
                return Err("Contact * requires Expires: 0");
            }
            Ok(Update::RemoveAll)
        }
        Contacts::List(list) => {
            let mut updates = Vec::with_capacity(list.len());
            for contact in list {
                let expires = match contact.params.get("expires") {
                    Some(Some(v)) => Some(
                        v.trim()
                            .parse::<u64>()
                            .map_err(|_| "Invalid Contact expires")?,
                    ),
                    Some(None) => return Err("Invalid Contact expires"),
                    None => header_expires.map(u64::from),
                };
                let q = match contact.params.get("q") {
                    Some(Some(v)) => Some(
                        v.trim()
                            .parse::<f32>()
                            .ok()
                            .filter(|q| (0.0..=1.0).contains(q))
                            .ok_or("Invalid Contact q")?,
                    ),
                    _ => None,
                };
                updates.push(ContactUpdate {
                    uri: contact.uri.to_string(),
                    // Larger than any limit: clamp rather than refuse.
                    expires: expires.map(|e| e.min(u64::from(u32::MAX)) as u32),
                    q,
                });
            }
            Ok(Update::Contacts(updates))
        }
    }
}

async fn persister<D: BindingStore>(
    mut rx: mpsc::Receiver<PersistRequest>,
    location: Arc<Location>,
    store: Arc<D>,
    metrics: Arc<SipMetrics>,
) {
    let mut pending: Vec<PersistRequest> = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut pending, BATCH).await > 0 {
        let now_ms = super::core::unix_ms();
        let mut sets: HashMap<&str, Vec<Binding>> = HashMap::new();
        for request in &pending {
            sets.entry(request.aor.as_str())
                .or_insert_with(|| location.lookup(&request.aor, now_ms));
        }
        let batch: Vec<(String, Vec<Binding>)> = sets
            .into_iter()
            .map(|(aor, set)| (aor.to_owned(), set))
            .collect();
        let ok = match store.save(batch).await {
            Ok(()) => true,
            Err(e) => {
                SipMetrics::bump(&metrics.persist_failures);
                tracing::error!(error = %e, "storing bindings failed");
                false
            }
        };
        for request in pending.drain(..) {
            let _ = request.done.send(ok);
        }
    }
}
