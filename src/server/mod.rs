//! Wiring: opens the store, loads the registrations, binds the SIP and HTTP
//! listeners, starts the SIP core, and runs until SIGINT or SIGTERM.
//!
//! On start-up the server prints one line per listener to standard output,
//! `listening sip/udp 127.0.0.1:5060` and so on (`listening http ...` or,
//! with TLS configured, `listening https ...` last), so scripts and tests
//! that bind port 0 learn the real addresses.

mod cluster;
mod directory;
mod http;
mod invite_auth;
mod tls;
mod trunk_registrations;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rand::Rng;

use crate::api::{self, AppState, SipWsTransport};
use crate::call::{
    self, CallMetrics, CallSettings, DispatchInput, Registry, Routing, RoutingHandle, Services,
    SipLocal,
};
use crate::config::Config;
use crate::media::engine::{EngineConfig, MediaEngine};
use crate::media::library::LiveLibrary;
use crate::media::source::MediaLibrary;
use crate::sip::auth::{ha1, Algorithm};
use crate::sip::authenticator::{AuthSettings, Authenticator};
use crate::sip::core::{unix_ms, Core};
use crate::sip::location::Location;
use crate::sip::login_guard::{GuardSettings, LoginGuard};
use crate::sip::metrics::{SipGauges, SipMetrics};
use crate::sip::net::Net;
use crate::sip::peer::Transport;
use crate::sip::registrar::{BindingRules, BindingStore, Registrar};
use crate::sip::source_guard::{self, shell::SharedGuard};
use crate::sip::transaction::{Config as TransactionConfig, TransactionLayer};
use crate::sip::transport::{Limits, Transports};
use crate::sip::tu::CoreHandle;
use crate::store::Store;

pub use directory::StoreDirectory;
pub use tls::TlsError;

/// Installs the global `tracing` subscriber; `RUST_LOG` overrides `filter`.
pub fn init_logging(filter: &str) {
    let from_env = std::env::var(tracing_subscriber::EnvFilter::DEFAULT_ENV).ok();
    let chosen = from_env.as_deref().unwrap_or(filter);
    let mut filter = tracing_subscriber::EnvFilter::try_new(chosen)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    // The SDP parser warns of every attribute it does not know (a=tool,
    // a=minptime, ...); media::sdp reports them at debug instead.
    if !chosen.contains("webrtc_sdp") {
        if let Ok(quiet) = "webrtc_sdp=error".parse() {
            filter = filter.add_directive(quiet);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// How often lapsed registrations are swept.
const EXPIRY_SWEEP: Duration = Duration::from_secs(5);

/// How often the flood guard forgets idle sources.
const GUARD_SWEEP: Duration = Duration::from_secs(30);

/// The flood guard's settings from `[sip]` (validated already).
fn source_guard_settings(config: &Config) -> source_guard::Settings {
    let sip = &config.sip;
    source_guard::Settings {
        invite: source_guard::Rate {
            per_sec: sip.invite_rate,
            burst: sip.invite_burst,
        },
        register: source_guard::Rate {
            per_sec: sip.register_rate,
            burst: sip.register_burst,
        },
        probe_limit: sip.probe_limit,
        probe_window_ms: sip.probe_window_secs.saturating_mul(1000),
        block_ms: sip.block_secs.saturating_mul(1000),
        max_block_ms: sip.max_block_secs.saturating_mul(1000),
        scanner_agents: sip.scanner_user_agents.clone(),
        allow: sip
            .allow_networks
            .iter()
            .filter_map(|n| Net::parse(n))
            .collect(),
        max_sources: sip.max_tracked_sources.max(1),
    }
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    config.validate()?;
    // Read before anything is opened, so a bad certificate or key stops the
    // start at once with the file's name.
    let tls = match config.http.tls() {
        Some((cert, key)) => Some(tls::server_config(cert, key)?),
        None => None,
    };
    // One node of several, or a node alone.
    let node = (!config.cluster.node.is_empty()).then(|| config.cluster.node.clone());
    let store = Store::open_as(&config.database.url, node.as_deref())
        .await
        .with_context(|| format!("opening the database {}", config.database.url))?;
    seed_demo(&store, &config).await?;
    if config.demo {
        let seeded = store
            .seed_demo_routing(config.realm())
            .await
            .context("creating the demo project")?;
        if !seeded.is_empty() {
            tracing::info!("demo project created: queue Support, number 600, DID +15550100");
        }
    }
    let interrupted = store
        .close_interrupted(crate::acd::Millis(unix_ms()))
        .await
        .context("closing interaction records left open")?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "interaction records left open by an unclean stop closed as interrupted"
        );
    }

    let outbox = crate::outbox::start(store.clone(), &config.outbox, &config.mail, &config.sms);

    let metrics = Arc::new(SipMetrics::default());
    let sip_gauges = Arc::new(SipGauges::default());
    let location = Arc::new(Location::new());
    let now = unix_ms();
    let stored = store
        .load_bindings(i64::try_from(now).unwrap_or(i64::MAX))
        .await
        .context("loading registrations")?;
    // A browser's binding is reachable only over its connection, which did
    // not survive the restart; it registers again when it reconnects.
    let (connection_bound, restored): (Vec<_>, Vec<_>) = stored
        .into_iter()
        .filter_map(directory::from_row)
        .partition(|(_, b)| b.is_connection_bound());
    tracing::info!(bindings = restored.len(), "registrations restored");
    location.load(restored);
    if !connection_bound.is_empty() {
        let mut aors: Vec<String> = connection_bound.into_iter().map(|(aor, _)| aor).collect();
        aors.sort();
        aors.dedup();
        let sets = aors
            .into_iter()
            .map(|aor| {
                let left = location.lookup(&aor, now);
                (aor, left)
            })
            .collect();
        StoreDirectory::new(store.clone())
            .save(sets)
            .await
            .context("removing the stored bindings of closed WebSocket connections")?;
        tracing::info!("bindings of browsers whose connections closed with the restart removed");
    }

    // Bound first: SIP over WebSocket names this address in its Via and
    // Contact (RFC 7118 section 5).
    let listener = tokio::net::TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("binding HTTP {}", config.http.listen))?;
    let http_local = listener.local_addr()?;
    let mut sip_udp = None;
    let mut sip_tcp = None;
    let (transports, inbound) = Transports::new(
        Limits {
            max_connections: config.sip.max_connections,
            max_per_source: config.sip.max_connections_per_source,
            idle_timeout: config.idle_timeout(),
            message_deadline: config.message_deadline(),
            max_message_size: config.sip.max_message_size,
        },
        16 * 1024,
    );
    let source_guard = Arc::new(SharedGuard::new(source_guard_settings(&config)));
    transports.set_source_guard(source_guard.clone());
    for addr in &config.sip.udp {
        let local = transports
            .bind_udp(*addr)
            .await
            .with_context(|| format!("binding SIP UDP {addr}"))?;
        announce("sip/udp", local);
        sip_udp.get_or_insert(local);
    }
    for addr in &config.sip.tcp {
        let local = transports
            .bind_tcp(*addr)
            .await
            .with_context(|| format!("binding SIP TCP {addr}"))?;
        announce("sip/tcp", local);
        sip_tcp.get_or_insert(local);
    }
    // SIP over TLS uses the HTTP listener's certificate; without one it is off.
    let mut sip_tls = None;
    if let Some(http_tls) = &tls {
        let sip_config = tls::for_sip(http_tls);
        for addr in &config.sip.tls {
            let local = transports
                .bind_tls(*addr, sip_config.clone())
                .await
                .with_context(|| format!("binding SIP TLS {addr}"))?;
            announce("sip/tls", local);
            sip_tls.get_or_insert(local);
        }
    }

    // One guard for SIP and HTTP logins: an address guessing over one counts
    // for the other.
    let login_guard = Arc::new(LoginGuard::new(GuardSettings {
        failures_before_backoff: config.auth.max_failed_attempts,
        backoff_ms: config.auth.backoff_secs.saturating_mul(1000),
        max_backoff_ms: config.auth.max_backoff_secs.saturating_mul(1000),
        failures_per_source_per_minute: config.auth.failures_per_source_per_minute,
        failures_per_user_per_minute: config.auth.failures_per_user_per_minute,
    }));
    let algorithms = config
        .auth
        .algorithms
        .iter()
        .filter_map(|a| Algorithm::from_param(Some(a)))
        .collect();
    let auth = Arc::new(
        Authenticator::new(
            AuthSettings {
                realm: config.realm().to_owned(),
                algorithms,
                nonce_lifetime_ms: config.auth.nonce_lifetime_secs * 1000,
            },
            login_guard.clone(),
            metrics.clone(),
        )
        .with_source_guard(source_guard.clone()),
    );
    let directory = Arc::new(StoreDirectory::new(store.clone()));
    let invite_auth = Arc::new(invite_auth::InviteAuth {
        auth: auth.clone(),
        directory: directory.clone(),
    });
    let registrar = Arc::new(Registrar::start(
        BindingRules {
            min_expires: config.registrar.min_expires,
            max_expires: config.registrar.max_expires,
            default_expires: config.registrar.default_expires,
            max_contacts: config.registrar.max_contacts_per_user,
        },
        location.clone(),
        auth,
        directory,
        metrics.clone(),
    ));
    let registrar_handle = registrar.clone();
    // Connections that close while the server stops leave their bindings to
    // the next start, which drops browsers' anyway: nothing is written then.
    let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let registrar = registrar.clone();
        let mut closed = transports.watch_closed();
        let stopping = stopping.clone();
        tokio::spawn(async move {
            while let Some(peer) = closed.recv().await {
                if stopping.load(std::sync::atomic::Ordering::Relaxed) {
                    continue;
                }
                let registrar = registrar.clone();
                tokio::spawn(async move { registrar.connection_closed(peer).await });
            }
        });
    }
    {
        let registrar = registrar.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(EXPIRY_SWEEP);
            loop {
                tick.tick().await;
                registrar.expire(unix_ms()).await;
            }
        });
    }

    // Call control: the media engine, the dispatch core and the call tasks.
    let (mut library, _skipped) = MediaLibrary::load_dir(&config.media.folder);
    // Uploaded announcements live with the data (beside the recordings),
    // not in the media folder the server ships with.
    let announcements_dir = std::path::absolute(config.recordings_dir())
        .unwrap_or_else(|_| config.recordings_dir())
        .join("announcements");
    api::admin::uploads::load(&store, &announcements_dir, &mut library).await;
    let (media_events_tx, media_events) = tokio::sync::mpsc::channel(16 * 1024);
    let workers = match config.media.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let media = Arc::new(
        MediaEngine::start(
            &EngineConfig {
                workers,
                ip: config.media.ip,
                ports: (config.media.rtp_port_min, config.media.rtp_port_max),
                realtime: config.media.realtime,
                webrtc_port: config.media.webrtc_port,
            },
            media_events_tx,
        )
        .context("starting the media engine")?,
    );
    announce(
        "webrtc/udp",
        SocketAddr::new(config.media.ip, media.hub().port()),
    );
    let webrtc_hub = media.hub().clone();
    let media_workers = media.workers().to_vec();
    let registry = Arc::new(Registry::default());
    let registry_handle = registry.clone();
    tokio::spawn(call::route_media_events(registry.clone(), media_events));
    let routing = Arc::new(RoutingHandle::new(
        Routing::load(&store)
            .await
            .context("loading trunks and routes")?,
    ));
    source_guard.set_trusted(routing.get().trunk_networks());
    {
        let source_guard = source_guard.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(GUARD_SWEEP);
            loop {
                tick.tick().await;
                source_guard.sweep();
            }
        });
    }
    let hub = Arc::new(call::agents::AgentHub::default());
    let wallboard = Arc::new(call::wallboard::Wallboard::default());
    let seeded = call::wallboard::seed(&wallboard, &store, call::now())
        .await
        .context("reading today's interaction records for the wallboard")?;
    tracing::info!(records = seeded, "wallboard seeded with today's records");
    let call_metrics = Arc::new(CallMetrics::default());
    let ownership = Arc::new(match &node {
        Some(_) => call::ownership::Ownership::shared(),
        None => call::ownership::Ownership::alone(),
    });
    let dispatch_parts = call::dispatch::supervisor::DispatchParts {
        store: store.clone(),
        registry: registry.clone(),
        routing: routing.clone(),
        location: location.clone(),
        hub: hub.clone(),
        wallboard: wallboard.clone(),
        metrics: call_metrics.clone(),
    };
    let dispatch = dispatch_parts.build().await.map_err(anyhow::Error::msg)?;
    let (dispatch_tx, dispatch_rx) = tokio::sync::mpsc::channel(call::dispatch::CAPACITY);
    {
        let mut changes = registrar.watch();
        let dispatch_tx = dispatch_tx.clone();
        tokio::spawn(async move {
            while let Some(change) = changes.recv().await {
                if dispatch_tx
                    .send(DispatchInput::Registration(change))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
    }
    let supervision = Arc::new(call::dispatch::supervisor::Supervision::default());
    tokio::spawn(call::dispatch::supervisor::supervise(
        dispatch,
        dispatch_rx,
        dispatch_parts,
        supervision.clone(),
    ));

    let (commands_tx, commands) = tokio::sync::mpsc::channel(16 * 1024);
    let (calls_tx, mut calls_rx) = tokio::sync::mpsc::channel(4096);
    let services = Arc::new(
        Services::new(
            CoreHandle {
                commands: commands_tx.clone(),
            },
            store.clone(),
            location.clone(),
            invite_auth,
            media,
            config.media.ip,
            Arc::new(LiveLibrary::new(library)),
            routing.clone(),
            dispatch_tx.clone(),
            registry,
            CallSettings {
                domain: config.sip.domain.clone(),
                language: config.calls.language.clone(),
                rtp_timeout: (config.calls.rtp_timeout_secs > 0)
                    .then(|| Duration::from_secs(config.calls.rtp_timeout_secs)),
                records: crate::cdr::RecordConfig {
                    short_abandon: Duration::from_secs(config.calls.short_abandon_secs),
                },
                ack_wait: Duration::from_secs(32),
                max_calls: config.calls.max_calls,
                // Absolute, so records name the file wherever they are read.
                recordings_dir: std::path::absolute(config.recordings_dir())
                    .unwrap_or_else(|_| config.recordings_dir()),
                srtp: config.media.srtp,
                pickup: crate::call::pickup::Codes {
                    group: config.calls.pickup_group_code.clone(),
                    directed: config.calls.pickup_directed_prefix.clone(),
                },
            },
            SipLocal::new(sip_udp, sip_tcp)
                .with_websocket(http_local)
                .with_tls(sip_tls),
            call_metrics.clone(),
            wallboard.clone(),
        )
        .with_ownership(ownership.clone()),
    );
    // Callback entries have no caller's task: call control's callback
    // service takes their offers; open requests go back to dispatch.
    let (callbacks_tx, callbacks_rx) = tokio::sync::mpsc::channel(call::dispatch::CAPACITY);
    registry_handle.set_callbacks(callbacks_tx);
    tokio::spawn(call::callback_call::run(services.clone(), callbacks_rx));
    call::callback_call::reopen(&services).await;
    // The agent panel's dial pad for agents on desk phones.
    let (dialer_tx, dialer_rx) = tokio::sync::mpsc::channel(256);
    registry_handle.set_dialer(dialer_tx);
    tokio::spawn(call::click_dial_call::run(services.clone(), dialer_rx));
    let calls = services.clone();
    tokio::spawn(async move {
        while let Some(new_call) = calls_rx.recv().await {
            tokio::spawn(call::admission::run(services.clone(), new_call));
        }
    });

    let registration_board = Arc::new(api::admin::registrations::RegistrationBoard::default());
    let trunk_registrations = Arc::new(trunk_registrations::TrunkRegistrations::new(
        store.clone(),
        CoreHandle {
            commands: commands_tx.clone(),
        },
        Arc::new(SipLocal::new(sip_udp, sip_tcp)),
        registration_board.clone(),
    ));
    let core = Core {
        transports: transports.clone(),
        inbound,
        registrar,
        metrics: metrics.clone(),
        gauges: sip_gauges.clone(),
        layer: TransactionLayer::with_config(TransactionConfig {
            max_transactions: config.sip.max_transactions,
            ..TransactionConfig::default()
        }),
        commands,
        commands_tx,
        calls: Some(calls_tx),
    };
    let core_task = tokio::spawn(core.run());
    {
        let registrations = trunk_registrations.clone();
        tokio::spawn(async move { registrations.reload().await });
    }
    let agent_api = Arc::new(api::agent::AgentState {
        store: store.clone(),
        hub,
        dispatch: dispatch_tx.clone(),
        routing: routing.clone(),
        registry: registry_handle.clone(),
        domain: config.sip.domain.clone(),
        sockets: Default::default(),
        follow_ups: crate::call::follow_up_service::FollowUps::start(store.clone()).await?,
    });
    // Configuration changed on another node.
    let changed_elsewhere = Arc::new(tokio::sync::Notify::new());
    let reload = spawn_reloader(
        store.clone(),
        routing.clone(),
        source_guard,
        dispatch_tx,
        trunk_registrations.clone(),
        changed_elsewhere.clone(),
    );
    if let Some(name) = &node {
        let sip_uri = if config.cluster.sip_uri.is_empty() {
            let udp = sip_udp
                .or(sip_tcp)
                .context("cluster.sip_uri is empty and SIP listens nowhere")?;
            format!("sip:{udp}")
        } else {
            config.cluster.sip_uri.clone()
        };
        tracing::info!(node = %name, %sip_uri, "one node of several");
        tokio::spawn(
            cluster::Node {
                store: store.clone(),
                name: name.clone(),
                sip_uri,
                lease: Duration::from_secs(config.cluster.lease_secs),
                preferred: config.cluster.projects.clone(),
                ownership: ownership.clone(),
            }
            .run(),
        );
        tokio::spawn(cluster::follow(
            store.clone(),
            name.clone(),
            registrar_handle.clone(),
            changed_elsewhere,
        ));
    }

    let admin_token = if config.http.admin_token.is_empty() {
        let token = api::admin::generate_token();
        // Told once on standard output, never in the structured log, where
        // it would be kept and shipped wherever the log goes.
        println!("admin-token {token}");
        tracing::info!("admin API token generated and printed on standard output");
        token
    } else {
        config.http.admin_token.clone()
    };
    let uploads = Arc::new(api::admin::uploads::Uploads::new(
        announcements_dir,
        config.media.max_upload_bytes,
        calls.library.clone(),
    ));
    let app = api::router(Arc::new(AppState {
        transports,
        sip_metrics: metrics,
        sip_gauges,
        call_metrics,
        webrtc: Some(webrtc_hub),
        media_workers,
        admin: Arc::new(api::admin::AdminState {
            store: store.clone(),
            token: admin_token,
            queue_rules: api::admin::queue_rules(&config.media.folder),
            changed: reload,
            realm: config.realm().to_owned(),
            routing,
            registrations: registration_board,
            login_guard,
            secure_cookie: config.http.tls().is_some(),
            origins: api::origin::Origins::new(&config.http.allowed_origins, tls.is_some()),
            calls,
            outbox,
            uploads,
        }),
        agent: agent_api,
    }));
    let local = http_local;
    tracing::info!(domain = %config.sip.domain, "switchboard running");
    // The HTTP listener stays up while calls drain: agents finish their
    // after-call work in the panel.
    let drained = stop_when_drained(
        registry_handle,
        Duration::from_secs(config.calls.drain_secs),
        supervision.clone(),
    );
    let limits = http::HttpLimits {
        header_read_timeout: Duration::from_secs(config.http.header_read_timeout_secs),
        max_per_source: config.http.max_connections_per_source,
    };
    match tls {
        Some(tls) => {
            let app = app.layer(axum::Extension(SipWsTransport(Transport::Wss)));
            let listener = tls::TlsListener::new(listener, tls)?;
            announce("https", local);
            http::serve(listener, app, limits, drained).await;
        }
        None => {
            if !local.ip().is_loopback() {
                tracing::warn!(
                    listen = %local,
                    "HTTP without TLS on a network address: browsers allow a softphone \
                     (microphone) only over HTTPS outside localhost, and the admin token \
                     travels in clear; set http.tls_cert and http.tls_key"
                );
            }
            announce("http", local);
            http::serve(listener, app, limits, drained).await;
        }
    }
    if let Some(name) = &node {
        // The other nodes take this one's projects at once.
        match store.release_leases(name).await {
            Ok(n) => tracing::info!(projects = n, "project leases released"),
            Err(e) => tracing::warn!(error = %e, "releasing the project leases failed"),
        }
    }
    // Carriers are told the trunks are gone (Expires: 0) while SIP still runs.
    trunk_registrations.stop_all(Duration::from_secs(5)).await;
    core_task.abort();
    stopping.store(true, std::sync::atomic::Ordering::Relaxed);
    store.close().await;
    if supervision.failed() {
        tracing::error!("switchboard stopped: the dispatch task kept failing");
        anyhow::bail!("the dispatch task kept failing: stopped so that calls fail over");
    }
    tracing::info!("switchboard stopped");
    Ok(())
}

/// Reloads trunks, routes and the dispatch configuration whenever the admin
/// API reports a change, so the running server uses it without a restart.
fn spawn_reloader(
    store: Store,
    routing: Arc<RoutingHandle>,
    source_guard: Arc<SharedGuard>,
    dispatch: tokio::sync::mpsc::Sender<DispatchInput>,
    registrations: Arc<trunk_registrations::TrunkRegistrations>,
    elsewhere: Arc<tokio::sync::Notify>,
) -> Arc<tokio::sync::Notify> {
    let changed = Arc::new(tokio::sync::Notify::new());
    let notified = changed.clone();
    tokio::spawn(async move {
        loop {
            let here = tokio::select! {
                _ = notified.notified() => true,
                _ = elsewhere.notified() => false,
            };
            if let (true, Some(node)) = (here, store.node()) {
                // The other nodes reload too.
                if let Err(e) = store.notify(cluster::CONFIG_CHANNEL, node).await {
                    tracing::warn!(error = %e, "telling the other nodes of a change failed");
                }
            }
            match Routing::load(&store).await {
                Ok(r) => {
                    // Trunks' addresses are never blocked, new ones included.
                    source_guard.set_trusted(r.trunk_networks());
                    routing.set(r);
                }
                Err(e) => tracing::error!(error = %e, "reloading trunks and routes failed"),
            }
            let trunks = registrations.clone();
            tokio::spawn(async move { trunks.reload().await });
            match crate::store::admin::dispatch::load(&store, rand::random()).await {
                Ok(config) => {
                    if dispatch
                        .send(DispatchInput::Reconfigure(config))
                        .await
                        .is_err()
                    {
                        break;
                    }
                    tracing::info!("configuration reloaded into dispatch");
                }
                Err(e) => {
                    tracing::error!(error = %e, "reloading the dispatch configuration failed")
                }
            }
        }
    });
    changed
}

fn announce(what: &str, addr: SocketAddr) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening {what} {addr}");
    let _ = out.flush();
}

/// Waits for SIGTERM or SIGINT (or dispatch failing past its restart
/// budget), then lets the calls in progress finish (new ones are refused)
/// for up to `drain`; a second signal ends the wait. Every call that ends in
/// that time has completed its record before it is gone from the registry,
/// so none is left to be marked interrupted.
async fn stop_when_drained(
    registry: Arc<Registry>,
    drain: Duration,
    dispatch: Arc<call::dispatch::supervisor::Supervision>,
) {
    tokio::select! {
        _ = shutdown_signal() => {}
        _ = dispatch.stopped() => {}
    }
    registry.start_draining();
    let calls = registry.calls();
    tracing::info!(
        calls,
        drain_secs = drain.as_secs(),
        "stopping: new calls refused, calls in progress may finish"
    );
    let deadline = tokio::time::Instant::now() + drain;
    let wait = async {
        while registry.calls() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::select! {
        _ = wait => {}
        _ = shutdown_signal() => tracing::info!("second signal: stopping at once"),
    }
    let left = registry.calls();
    if left > 0 {
        tracing::warn!(calls = left, "stopping with calls in progress: their records are left open, to be marked interrupted");
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// Sets the password of an extension (creating it and its user when missing).
/// This is also how a locked user is unlocked.
pub async fn set_extension(config: &Config, username: &str, password: &str) -> anyhow::Result<()> {
    set_extensions(config, &[(username.to_owned(), password.to_owned())]).await
}

/// [`set_extension`] for many `(username, password)` pairs.
pub async fn set_extensions(config: &Config, pairs: &[(String, String)]) -> anyhow::Result<()> {
    let store = Store::open(&config.database.url)
        .await
        .with_context(|| format!("opening the database {}", config.database.url))?;
    let realm = config.realm();
    for (username, password) in pairs {
        store
            .set_extension(
                username,
                realm,
                &ha1(Algorithm::Md5, username, realm, password),
                &ha1(Algorithm::Sha256, username, realm, password),
            )
            .await
            .with_context(|| format!("setting extension {username}"))?;
    }
    store.close().await;
    Ok(())
}

/// A new, empty database gets demo extensions 1001 to 1003, each with a
/// random password printed once on standard output, so a first `switchboard serve` has phones
/// that can register and nothing guessable.
async fn seed_demo(store: &Store, config: &Config) -> anyhow::Result<()> {
    if store.user_count().await? > 0 {
        return Ok(());
    }
    let realm = config.realm();
    for username in ["1001", "1002", "1003"] {
        let password: String = rand::thread_rng()
            .sample_iter(&rand::distributions::Alphanumeric)
            .take(12)
            .map(char::from)
            .collect();
        store
            .set_extension(
                username,
                realm,
                &ha1(Algorithm::Md5, username, realm, &password),
                &ha1(Algorithm::Sha256, username, realm, &password),
            )
            .await?;
        // On the terminal only, like the admin token: never in the log.
        println!("demo-extension {username} {password}");
        tracing::info!(
            extension = username,
            realm,
            "demo extension created (password on standard output)"
        );
    }
    Ok(())
}
