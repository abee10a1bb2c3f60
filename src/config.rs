//! Start-up configuration: what the process needs before it can open its
//! database and sockets.
//!
//! Everything an operator edits while the server runs (projects, queues, users,
//! ...) lives in the database. This file holds only listen addresses, limits,
//! the database URL and the media folder, and every key has a default, so
//! `switchboard serve` with no file at all starts a working server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration in {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The whole start-up configuration. Unknown keys are refused so a typo does not
/// silently fall back to a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub sip: SipConfig,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub media: MediaConfig,
    pub auth: AuthConfig,
    pub registrar: RegistrarConfig,
    pub calls: CallsConfig,
    /// The outbox (webhooks, e-mail, SMS): retries and concurrency.
    pub outbox: crate::outbox::OutboxConfig,
    /// The SMTP server e-mail goes through.
    pub mail: crate::outbox::MailConfig,
    /// The HTTP SMS gateway.
    pub sms: crate::outbox::SmsConfig,
    /// One node of several sharing a PostgreSQL database.
    pub cluster: ClusterConfig,
    /// On a database without projects, create the demo project: queue
    /// Support (number 600, DID +15550100), a trunk for the local machine,
    /// and extensions 1001 and 1002 as its agents.
    pub demo: bool,
    /// A `tracing` filter such as `info` or `switchboard=debug`; `RUST_LOG` wins.
    pub log: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SipConfig {
    /// UDP listen addresses (IPv4 and/or IPv6). Port 0 picks a free port.
    pub udp: Vec<SocketAddr>,
    /// TCP listen addresses.
    pub tcp: Vec<SocketAddr>,
    /// SIP over TLS listen addresses (desk phones, `;transport=tls` or
    /// `sips:`), with the certificate and key of `http.tls_cert` and
    /// `http.tls_key`; without those there is no certificate, and no TLS
    /// listener.
    pub tls: Vec<SocketAddr>,
    /// The domain the registrar serves; requests for other domains are not ours.
    pub domain: String,
    /// The most TCP and WebSocket connections open at once.
    pub max_connections: usize,
    /// The most TCP and WebSocket connections one source address may hold at
    /// once (loopback included); raise it when many phones share one NAT.
    pub max_connections_per_source: usize,
    /// A stream connection that has begun a message and not completed it
    /// within this many seconds is closed (one byte every few seconds must
    /// not hold a connection for ever).
    pub message_deadline_secs: u64,
    /// A stream connection with no traffic for this long is closed.
    pub idle_timeout_secs: u64,
    /// The largest message accepted on a stream (UDP is bounded by the datagram).
    pub max_message_size: usize,
    /// Live SIP transactions at most; new requests beyond it get 503. A
    /// transaction lingers 32 s after its final response on UDP (Timer J), so
    /// each sustained request per second holds about 32.
    pub max_transactions: usize,
    /// INVITEs (outside dialogs) one source address may send per second,
    /// and the burst above it; past them 503 with Retry-After, and a source
    /// sending more than twice that is blocked. 0: not limited. Trunks'
    /// addresses and `allow_networks` are never limited.
    pub invite_rate: u32,
    pub invite_burst: u32,
    /// The same for REGISTER (each registration costs two: the challenge).
    pub register_rate: u32,
    pub register_burst: u32,
    /// Probing answers (403, 404, a digest response that did not verify)
    /// one source may get within `probe_window_secs` before it is blocked;
    /// 0: never blocked for probing.
    pub probe_limit: u32,
    pub probe_window_secs: u64,
    /// How long a block lasts: everything the source sends is dropped
    /// unanswered. Doubled for each repeat offence, up to `max_block_secs`.
    pub block_secs: u64,
    pub max_block_secs: u64,
    /// User-Agent values of known scanners (matched as parts, any case): a
    /// request naming one blocks its source at once.
    pub scanner_user_agents: Vec<String>,
    /// Addresses and CIDR networks never blocked or limited (trunks'
    /// addresses never are either).
    pub allow_networks: Vec<String>,
    /// Source addresses the flood guard tracks at most; the least recently
    /// seen are forgotten past it.
    pub max_tracked_sources: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// The HTTP listener: admin API, web pages and the SIP-over-WebSocket upgrade.
    pub listen: SocketAddr,
    /// The bearer token of the admin API; when empty a random one is made at
    /// start-up and printed once (log and standard output).
    pub admin_token: String,
    /// The certificate chain (PEM, leaf first) of the HTTP listener. With
    /// `tls_key` it makes the listener serve HTTPS and SIP over secure
    /// WebSocket (`wss://.../sip`) only; without both it serves plain HTTP,
    /// which browsers accept for softphones only on localhost.
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Web origins (`scheme://host[:port]`) besides the server's own whose
    /// pages may use `/sip` and the session cookie: a WebSocket upgrade or a
    /// state-changing request whose `Origin` is none of these gets 403. The
    /// server's own origin (the `Host` a request came to, on http or https as
    /// configured) is always allowed, and so are requests without `Origin`.
    pub allowed_origins: Vec<String>,
    /// A connection must send a request's whole header within this many
    /// seconds (and an idle keep-alive connection is closed after it).
    pub header_read_timeout_secs: u64,
    /// The most HTTP connections one source address may hold at once.
    pub max_connections_per_source: usize,
}

impl HttpConfig {
    /// The certificate and key paths when TLS is configured.
    pub fn tls(&self) -> Option<(&Path, &Path)> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (created when missing), or a PostgreSQL server's
    /// `postgres://USER:PASSWORD@HOST:PORT/NAME` (the database must exist).
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// Where hold music and prompts are read from.
    pub folder: PathBuf,
    /// The first RTP port handed out (even).
    pub rtp_port_min: u16,
    /// The last RTP port handed out.
    pub rtp_port_max: u16,
    /// The address RTP sockets bind to; with the unspecified address, SDP
    /// names the local address that routes towards each peer.
    pub ip: std::net::IpAddr,
    /// Media worker threads (each with its own pacing clock); 0 means one
    /// per core.
    pub workers: usize,
    /// Ask for realtime scheduling (SCHED_FIFO) of the media threads; needs
    /// CAP_SYS_NICE, and steadies pacing on a busy machine.
    pub realtime: bool,
    /// The one UDP port every browser (WebRTC) leg uses; unset, the first free
    /// port of the RTP range.
    pub webrtc_port: Option<u16>,
    /// Where call recordings are written; unset, a `recordings` folder next to
    /// the SQLite database file ([`Config::recordings_dir`]).
    pub recordings_dir: Option<PathBuf>,
    /// SRTP with SDES keys towards desk phones: `accept` answers an SRTP
    /// offer with SRTP and offers plain RTP; `require` offers only SRTP to
    /// agents' and supervisors' phones. Trunks are always answered in kind.
    pub srtp: crate::media::sdp::SrtpMode,
    /// The largest announcement upload taken (`POST /api/announcements`),
    /// in bytes; larger ones are refused with 413.
    pub max_upload_bytes: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallsConfig {
    /// The prompt language: the folder under `media/prompts/`.
    pub language: String,
    /// End a call whose media has been silent this long; 0 never does.
    pub rtp_timeout_secs: u64,
    /// Callers who leave a queue unanswered within this are short abandons.
    pub short_abandon_secs: u64,
    /// Calls refused with 503 beyond this many at once.
    pub max_calls: usize,
    /// On SIGTERM or SIGINT, how long calls in progress (and their
    /// after-call work) may go on, while new calls get 503, before the server
    /// stops; a second signal stops it at once.
    pub drain_secs: u64,
    /// What a pickup group's member dials to take any ringing call of
    /// their groups; empty turns group pickup off.
    pub pickup_group_code: String,
    /// What a pickup group's member dials before a colleague's extension
    /// to take the call ringing it; empty turns directed pickup off.
    pub pickup_directed_prefix: String,
}

impl Default for CallsConfig {
    fn default() -> Self {
        CallsConfig {
            language: "en".into(),
            rtp_timeout_secs: 0,
            short_abandon_secs: 5,
            max_calls: 20_000,
            drain_secs: 30,
            pickup_group_code: "*8".into(),
            pickup_directed_prefix: "**".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// The digest realm; the SIP domain when empty.
    pub realm: String,
    /// How long a nonce is accepted before the client is told it is stale.
    pub nonce_lifetime_secs: u64,
    /// Failed logins in a row (SIP or HTTP) of one user from one address
    /// after which that user is refused from that address for `backoff_secs`;
    /// each further failure doubles the wait, up to `max_backoff_secs`. The
    /// same user from another address is not affected. Nothing locks a user
    /// for good: that is an administrator's act (state `locked`).
    pub max_failed_attempts: u32,
    /// The first back-off, in seconds.
    pub backoff_secs: u64,
    /// The longest back-off, in seconds.
    pub max_backoff_secs: u64,
    /// Failed authentications one source address may make within a minute of
    /// its first failure; past that its requests are refused until the minute
    /// is over.
    pub failures_per_source_per_minute: u32,
    /// Failed logins of one user from every address within a minute, past
    /// which the user is refused for the rest of the minute except from an
    /// address it logged in from in the last day. Above
    /// `max_failed_attempts`, so one address alone never reaches it.
    pub failures_per_user_per_minute: u32,
    /// Digest algorithms offered in 401 challenges, in this order (`MD5`,
    /// `SHA-256`); a client answers with any of them. MD5 alone by default:
    /// common clients (baresip, SIP.js, JsSIP, many desk phones) read one
    /// challenge only (the first or the last) and answer it as MD5 whatever
    /// its algorithm, so a second challenge makes their registration fail.
    pub algorithms: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrarConfig {
    /// Shorter registrations are answered 423 Interval Too Brief.
    pub min_expires: u32,
    /// Longer registrations are shortened to this.
    pub max_expires: u32,
    /// Used when the client names no expiry.
    pub default_expires: u32,
    /// The most contacts one user may have registered at once.
    pub max_contacts_per_user: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sip: SipConfig::default(),
            http: HttpConfig::default(),
            database: DatabaseConfig::default(),
            media: MediaConfig::default(),
            auth: AuthConfig::default(),
            registrar: RegistrarConfig::default(),
            calls: CallsConfig::default(),
            outbox: Default::default(),
            mail: Default::default(),
            sms: Default::default(),
            cluster: ClusterConfig::default(),
            demo: true,
            log: "info".into(),
        }
    }
}

impl Default for SipConfig {
    fn default() -> Self {
        SipConfig {
            udp: vec!["0.0.0.0:5060".parse().expect("literal address")],
            tcp: vec!["0.0.0.0:5060".parse().expect("literal address")],
            tls: vec!["0.0.0.0:5061".parse().expect("literal address")],
            domain: "switchboard.local".into(),
            max_connections: 4096,
            max_connections_per_source: 64,
            message_deadline_secs: 10,
            idle_timeout_secs: 300,
            max_message_size: 64 * 1024,
            max_transactions: 262_144,
            invite_rate: 20,
            invite_burst: 100,
            register_rate: 50,
            register_burst: 200,
            probe_limit: 30,
            probe_window_secs: 60,
            block_secs: 300,
            max_block_secs: 6 * 3600,
            scanner_user_agents: [
                "friendly-scanner",
                "sipvicious",
                "sipcli",
                "VaxSIPUserAgent",
                "sundayddr",
                "iWar",
                "sip-scan",
                "pplsip",
            ]
            .map(String::from)
            .to_vec(),
            allow_networks: vec!["127.0.0.1".into(), "::1".into()],
            max_tracked_sources: 100_000,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: "0.0.0.0:8080".parse().expect("literal address"),
            admin_token: String::new(),
            tls_cert: None,
            tls_key: None,
            allowed_origins: Vec::new(),
            header_read_timeout_secs: 10,
            max_connections_per_source: 256,
        }
    }
}

/// Several nodes on one PostgreSQL database, each serving the projects whose
/// lease it holds; a SIP edge (deploy/kamailio) sends each project's calls
/// and registrations to its node.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// This node's name, unique among the nodes; empty (the default) runs
    /// one node alone, serving every project.
    pub node: String,
    /// Where the SIP edge reaches this node, e.g. `sip:10.0.0.5:5060`;
    /// empty takes the first UDP listener's address.
    pub sip_uri: String,
    /// How long a project's lease runs without renewal: a node that dies
    /// loses its projects to the others after this long. Renewed three
    /// times per period.
    pub lease_secs: u64,
    /// The projects (by name) this node takes first, when no live node
    /// holds them; it takes others only after one lease period up, up to
    /// its fair share.
    pub projects: Vec<String>,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            node: String::new(),
            sip_uri: String::new(),
            lease_secs: 3,
            projects: Vec::new(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://switchboard.db".into(),
        }
    }
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            folder: PathBuf::from("media"),
            rtp_port_min: 20000,
            rtp_port_max: 29999,
            ip: std::net::IpAddr::from([0, 0, 0, 0]),
            workers: 0,
            realtime: false,
            webrtc_port: None,
            recordings_dir: None,
            srtp: Default::default(),
            max_upload_bytes: 64 << 20,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            realm: String::new(),
            nonce_lifetime_secs: 300,
            max_failed_attempts: 5,
            backoff_secs: 60,
            max_backoff_secs: 900,
            failures_per_source_per_minute: 60,
            failures_per_user_per_minute: 20,
            algorithms: vec!["MD5".into()],
        }
    }
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        RegistrarConfig {
            min_expires: 60,
            max_expires: 7200,
            default_expires: 3600,
            max_contacts_per_user: 10,
        }
    }
}

impl Config {
    /// Where call recordings go: `media.recordings_dir`, or else the
    /// `recordings` folder beside the database file (`sqlite://PATH`), or else
    /// `recordings` in the working folder.
    pub fn recordings_dir(&self) -> PathBuf {
        if let Some(dir) = &self.media.recordings_dir {
            return dir.clone();
        }
        let file = self
            .database
            .url
            .strip_prefix("sqlite://")
            .map(|rest| rest.split('?').next().unwrap_or(rest))
            .filter(|path| !path.is_empty() && !path.starts_with(':'));
        match file.and_then(|f| Path::new(f).parent()) {
            Some(parent) => parent.join("recordings"),
            None => PathBuf::from("recordings"),
        }
    }

    /// Reads a TOML file; keys it leaves out keep their defaults.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let config: Config = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the relations between keys that serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(problem) = self.outbox.problems().into_iter().next() {
            return Err(ConfigError::Invalid(problem));
        }
        let r = &self.registrar;
        if r.min_expires > r.max_expires {
            return Err(ConfigError::Invalid(format!(
                "registrar.min_expires ({}) is larger than registrar.max_expires ({})",
                r.min_expires, r.max_expires
            )));
        }
        if self.media.rtp_port_min > self.media.rtp_port_max {
            return Err(ConfigError::Invalid(
                "media.rtp_port_min is larger than media.rtp_port_max".into(),
            ));
        }
        if self.sip.udp.is_empty() && self.sip.tcp.is_empty() {
            return Err(ConfigError::Invalid(
                "sip.udp and sip.tcp are both empty: the server would not listen for SIP".into(),
            ));
        }
        if !self.cluster.node.is_empty() {
            if !self.database.url.starts_with("postgres") {
                return Err(ConfigError::Invalid(
                    "cluster.node is set but database.url is not PostgreSQL: several nodes \
                     share one postgres:// database"
                        .into(),
                ));
            }
            if self.cluster.lease_secs == 0 || self.cluster.lease_secs > 600 {
                return Err(ConfigError::Invalid(
                    "cluster.lease_secs must be between 1 and 600".into(),
                ));
            }
        }
        if self.sip.max_message_size < 1024 {
            return Err(ConfigError::Invalid(
                "sip.max_message_size must be at least 1024 bytes".into(),
            ));
        }
        match (&self.http.tls_cert, &self.http.tls_key) {
            (Some(_), None) => {
                return Err(ConfigError::Invalid(
                    "http.tls_cert is set but http.tls_key is not: TLS needs both".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid(
                    "http.tls_key is set but http.tls_cert is not: TLS needs both".into(),
                ))
            }
            _ => {}
        }
        if let Some(bad) = self
            .sip
            .allow_networks
            .iter()
            .find(|n| crate::sip::net::Net::parse(n).is_none())
        {
            return Err(ConfigError::Invalid(format!(
                "sip.allow_networks: {bad:?} is not an IP address or a CIDR network"
            )));
        }
        if self.sip.block_secs == 0 || self.sip.max_block_secs < self.sip.block_secs {
            return Err(ConfigError::Invalid(
                "sip.block_secs must be at least 1 and at most sip.max_block_secs".into(),
            ));
        }
        let a = &self.auth;
        if a.max_failed_attempts == 0 || a.failures_per_source_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "auth.max_failed_attempts and auth.failures_per_source_per_minute must be at least 1"
                    .into(),
            ));
        }
        if a.failures_per_user_per_minute <= a.max_failed_attempts {
            return Err(ConfigError::Invalid(format!(
                "auth.failures_per_user_per_minute ({}) must be above auth.max_failed_attempts ({}), \
                 or one address alone could shut a user out everywhere",
                a.failures_per_user_per_minute, a.max_failed_attempts
            )));
        }
        if a.backoff_secs == 0 || a.max_backoff_secs < a.backoff_secs {
            return Err(ConfigError::Invalid(
                "auth.backoff_secs must be at least 1 and at most auth.max_backoff_secs".into(),
            ));
        }
        for origin in &self.http.allowed_origins {
            if !crate::api::origin::is_origin(origin) {
                return Err(ConfigError::Invalid(format!(
                    "http.allowed_origins: {origin:?} is not an origin \
                     (scheme://host or scheme://host:port, nothing after)"
                )));
            }
        }
        for (key, value) in [
            (
                "sip.max_connections_per_source",
                self.sip.max_connections_per_source,
            ),
            (
                "sip.message_deadline_secs",
                self.sip.message_deadline_secs as usize,
            ),
            (
                "http.header_read_timeout_secs",
                self.http.header_read_timeout_secs as usize,
            ),
            (
                "http.max_connections_per_source",
                self.http.max_connections_per_source,
            ),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!("{key} must be at least 1")));
            }
        }
        if self.auth.algorithms.is_empty() {
            return Err(ConfigError::Invalid("auth.algorithms is empty".into()));
        }
        for name in &self.auth.algorithms {
            if crate::sip::auth::Algorithm::from_param(Some(name)).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "auth.algorithms: unknown digest algorithm {name:?} (use MD5 or SHA-256)"
                )));
            }
        }
        Ok(())
    }

    /// The digest realm in force.
    pub fn realm(&self) -> &str {
        if self.auth.realm.is_empty() {
            &self.sip.domain
        } else {
            &self.auth.realm
        }
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.sip.idle_timeout_secs)
    }

    pub fn message_deadline(&self) -> Duration {
        Duration::from_secs(self.sip.message_deadline_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_the_defaults() {
        let config: Config = toml::from_str("").unwrap();
        assert_eq!(config.sip.domain, "switchboard.local");
        assert_eq!(config.registrar.min_expires, 60);
        config.validate().unwrap();
    }

    #[test]
    fn a_partial_file_keeps_other_defaults() {
        let config: Config =
            toml::from_str("[sip]\nudp = [\"127.0.0.1:0\"]\n[registrar]\nmin_expires = 30\n")
                .unwrap();
        assert_eq!(config.sip.udp, vec!["127.0.0.1:0".parse().unwrap()]);
        assert_eq!(config.sip.max_connections, 4096);
        assert_eq!(config.registrar.min_expires, 30);
        assert_eq!(config.registrar.max_expires, 7200);
    }

    #[test]
    fn recordings_go_beside_the_database_unless_configured() {
        let mut config: Config =
            toml::from_str("[database]\nurl = \"sqlite:///var/lib/sb/switchboard.db\"\n").unwrap();
        assert_eq!(
            config.recordings_dir(),
            PathBuf::from("/var/lib/sb/recordings")
        );
        config.database.url = "sqlite://switchboard.db".into();
        assert_eq!(config.recordings_dir(), PathBuf::from("recordings"));
        config.database.url = "sqlite://:memory:".into();
        assert_eq!(config.recordings_dir(), PathBuf::from("recordings"));
        let config: Config = toml::from_str("[media]\nrecordings_dir = \"/srv/rec\"\n").unwrap();
        assert_eq!(config.recordings_dir(), PathBuf::from("/srv/rec"));
    }

    #[test]
    fn the_flood_guard_keys_are_checked() {
        let config: Config =
            toml::from_str("[sip]\nallow_networks = [\"10.0.0.0/8\", \"::1\"]\n").unwrap();
        assert!(config.validate().is_ok());
        let config: Config = toml::from_str("[sip]\nallow_networks = [\"10.0.0.0/33\"]\n").unwrap();
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("sip.allow_networks"), "{error}");
        let config: Config =
            toml::from_str("[sip]\nblock_secs = 600\nmax_block_secs = 60\n").unwrap();
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("sip.block_secs"), "{error}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<Config>("[sip]\nudp_port = 5060\n").is_err());
    }

    #[test]
    fn tls_needs_both_the_certificate_and_the_key() {
        let config: Config = toml::from_str("[http]\ntls_cert = \"cert.pem\"\n").unwrap();
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("http.tls_key"), "{error}");
        let config: Config =
            toml::from_str("[http]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n").unwrap();
        config.validate().unwrap();
        assert!(config.http.tls().is_some());
        assert!(Config::default().http.tls().is_none());
    }

    #[test]
    fn sip_over_tls_listens_on_5061_unless_told_otherwise() {
        let default = Config::default();
        assert_eq!(default.sip.tls, ["0.0.0.0:5061".parse().unwrap()]);
        let off: Config = toml::from_str("[sip]\ntls = []\n").unwrap();
        assert!(off.sip.tls.is_empty());
        off.validate().unwrap();
    }

    #[test]
    fn one_address_alone_cannot_reach_the_per_user_limit() {
        let config: Config =
            toml::from_str("[auth]\nmax_failed_attempts = 20\nfailures_per_user_per_minute = 20\n")
                .unwrap();
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("failures_per_user_per_minute"), "{error}");
        let config: Config =
            toml::from_str("[auth]\nbackoff_secs = 10\nmax_backoff_secs = 5\n").unwrap();
        assert!(config.validate().is_err());
        assert!(toml::from_str::<Config>("").unwrap().validate().is_ok());
    }

    #[test]
    fn allowed_origins_must_be_origins() {
        let config: Config =
            toml::from_str("[http]\nallowed_origins = [\"https://panel.example:8443\"]\n").unwrap();
        config.validate().unwrap();
        for bad in ["panel.example", "https://panel.example/", "*", "null"] {
            let config: Config =
                toml::from_str(&format!("[http]\nallowed_origins = [\"{bad}\"]\n")).unwrap();
            let error = config.validate().unwrap_err().to_string();
            assert!(error.contains("http.allowed_origins"), "{bad}: {error}");
        }
    }

    #[test]
    fn inconsistent_expiry_limits_are_refused() {
        let config: Config =
            toml::from_str("[registrar]\nmin_expires = 600\nmax_expires = 60\n").unwrap();
        assert!(config.validate().is_err());
    }
}
