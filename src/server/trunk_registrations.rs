//! The tokio shell of trunk registration: one task per enabled trunk that
//! registers, driving the sans-IO core (`sip::registration`) through the SIP
//! core task's client transactions, and reporting where it stands on the
//! [`RegistrationBoard`]. [`TrunkRegistrations::reload`] is called at start-up
//! and after every configuration change: a trunk whose registration settings
//! changed is unregistered and registered anew, one that no longer registers
//! is unregistered. [`TrunkRegistrations::stop_all`] unregisters every trunk
//! on a graceful stop.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;

use crate::api::admin::registrations::RegistrationBoard;
use crate::call::signalling::{token, SipLocal};
use crate::sip::core::SERVER;
use crate::sip::message::Uri;
use crate::sip::peer::Peer;
use crate::sip::registration::{Action, Input, Registration, RegistrationConfig, State};
use crate::sip::tu::{CoreHandle, SipEvent, OWNER_CAPACITY};
use crate::store::admin::trunks::RegistrationStatus;
use crate::store::Store;
use crate::store::TrunkRegistration;

/// A running registration: its settings and how to stop it.
struct Running {
    settings: TrunkRegistration,
    stop: mpsc::Sender<()>,
    task: JoinHandle<()>,
}

/// Every trunk registration of the server.
pub struct TrunkRegistrations {
    store: Store,
    core: CoreHandle,
    local: Arc<SipLocal>,
    board: Arc<RegistrationBoard>,
    running: Mutex<HashMap<i64, Running>>,
}

impl TrunkRegistrations {
    pub fn new(
        store: Store,
        core: CoreHandle,
        local: Arc<SipLocal>,
        board: Arc<RegistrationBoard>,
    ) -> TrunkRegistrations {
        TrunkRegistrations {
            store,
            core,
            local,
            board,
            running: Mutex::new(HashMap::new()),
        }
    }

    /// Starts, restarts and stops registrations to match the stored trunks.
    pub async fn reload(&self) {
        let trunks = match self.store.trunks().await {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "reading trunks for registration failed");
                return;
            }
        };
        let wanted: HashMap<i64, TrunkRegistration> = trunks
            .into_iter()
            .filter(|t| t.enabled)
            .filter_map(|t| Some((t.id, t.registration?)))
            .collect();
        let mut running = self.running.lock().await;
        let gone: Vec<i64> = running
            .iter()
            .filter(|(id, r)| wanted.get(id) != Some(&r.settings) || r.task.is_finished())
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            if let Some(r) = running.remove(&id) {
                let _ = r.stop.try_send(());
                // The old binding is removed before a new one is made.
                let _ = tokio::time::timeout(Duration::from_secs(5), r.task).await;
            }
            self.board.remove(id);
        }
        for (id, settings) in wanted {
            if running.contains_key(&id) {
                continue;
            }
            let (stop, stopped) = mpsc::channel(1);
            let task = tokio::spawn(run(
                id,
                settings.clone(),
                self.core.clone(),
                self.local.clone(),
                self.board.clone(),
                stopped,
            ));
            running.insert(
                id,
                Running {
                    settings,
                    stop,
                    task,
                },
            );
        }
    }

    /// Unregisters every trunk, waiting up to `wait` for the carriers' answers.
    pub async fn stop_all(&self, wait: Duration) {
        let mut running = self.running.lock().await;
        let tasks: Vec<JoinHandle<()>> = running
            .drain()
            .map(|(_, r)| {
                let _ = r.stop.try_send(());
                r.task
            })
            .collect();
        let _ = tokio::time::timeout(wait, futures_util::future::join_all(tasks)).await;
    }
}

/// Unix milliseconds of the moment `at`.
fn wall(at: Instant) -> i64 {
    let now = Instant::now();
    let system = if at >= now {
        SystemTime::now() + (at - now)
    } else {
        SystemTime::now() - (now - at)
    };
    crate::store::unix_ms(system)
}

fn publish(board: &RegistrationBoard, trunk: i64, r: &Registration) {
    board.set(
        trunk,
        RegistrationStatus {
            state: r.state().as_str().to_owned(),
            expires_at: r.expires_at().map(wall),
            last_error: r.last_error().map(str::to_owned),
        },
    );
}

/// The registrar's address: host and port of its URI (5060 by default).
async fn resolve(registrar: &Uri) -> Option<std::net::SocketAddr> {
    let host = registrar
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = registrar.port().unwrap_or(5060);
    tokio::net::lookup_host((host, port)).await.ok()?.next()
}

/// One trunk's registration, until it is stopped or fails for good.
async fn run(
    trunk: i64,
    settings: TrunkRegistration,
    core: CoreHandle,
    local: Arc<SipLocal>,
    board: Arc<RegistrationBoard>,
    mut stop: mpsc::Receiver<()>,
) {
    let fail = |why: String| {
        tracing::warn!(trunk, %why, "trunk registration cannot start");
        board.set(
            trunk,
            RegistrationStatus {
                state: State::Failed.as_str().to_owned(),
                expires_at: None,
                last_error: Some(why),
            },
        );
    };
    let Ok(registrar) = Uri::parse(bytes::Bytes::from(settings.registrar.clone())) else {
        return fail(format!("{:?} is not a SIP URI", settings.registrar));
    };
    let Some(addr) = resolve(&registrar).await else {
        return fail(format!("{} cannot be resolved", registrar.host()));
    };
    let peer = Peer::udp(addr);
    let ours = local.address_for(&peer);
    let config = RegistrationConfig {
        aor: Uri::sip(Some(&settings.username), registrar.host(), None),
        contact: Uri::sip(
            Some(&settings.username),
            &ours.ip().to_string(),
            Some(ours.port()),
        ),
        via: local.via(&peer),
        registrar,
        username: settings.username.clone(),
        password: settings.password.clone(),
        expires: settings.expires,
        call_id: token(24),
        from_tag: token(12),
        cnonce: token(16),
        user_agent: SERVER.to_owned(),
    };
    let (owner, mut events) = mpsc::channel(OWNER_CAPACITY);
    let mut reg = Registration::new(config);
    let mut stop_open = true;
    loop {
        while let Some(Action::Send(request)) = reg.poll_action() {
            board.requests.fetch_add(1, Ordering::Relaxed);
            match core.send(request, peer, owner.clone()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::debug!(trunk, error = ?e, "REGISTER not sent");
                    reg.handle(Instant::now(), Input::NoAnswer);
                }
                Err(_) => return,
            }
        }
        publish(&board, trunk, &reg);
        if reg.is_over() {
            break;
        }
        let deadline = reg.poll_timeout();
        tokio::select! {
            event = events.recv() => {
                let now = Instant::now();
                match event {
                    Some(SipEvent::Response { response, .. }) => {
                        let status = response.status;
                        let before = reg.state();
                        reg.handle(now, Input::Response(response));
                        if (200..300).contains(&status) && reg.state() == State::Registered {
                            board.accepted.fetch_add(1, Ordering::Relaxed);
                        } else if status >= 300 && !matches!(status, 401 | 407 | 423)
                            || reg.state() == State::Failed && before != State::Failed
                        {
                            board.failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Some(SipEvent::Timeout { .. } | SipEvent::TransportError { .. }) => {
                        board.failures.fetch_add(1, Ordering::Relaxed);
                        reg.handle(now, Input::NoAnswer);
                    }
                    Some(_) => {}
                    None => return,
                }
            }
            stopped = stop.recv(), if stop_open => {
                if stopped.is_none() {
                    stop_open = false;
                }
                reg.handle(Instant::now(), Input::Stop);
            }
            _ = sleep_until(deadline) => reg.handle_timeout(Instant::now()),
        }
    }
    tracing::info!(
        trunk,
        state = reg.state().as_str(),
        "trunk registration ended"
    );
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
