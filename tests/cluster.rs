//! Two nodes on one PostgreSQL database behind the SIP edge (Kamailio with
//! deploy/kamailio): each serves the project whose lease it holds, a phone
//! registered through the edge is reached from either node, and when a node
//! dies (SIGKILL) the other takes its project over; every record is kept
//! once. Needs Debian's postgresql and kamailio (tools/test installs them).
mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::calls::{assert_sipp_ok, Phones};
use common::http::{project, queue, Api};
use common::{free_port, sipp, TestServer};
use serde_json::json;
use switchboard::store::Store;

/// A PostgreSQL server: `SWITCHBOARD_TEST_POSTGRES`'s, or a scratch one
/// (tools/scratch-postgres) stopped when dropped.
struct Postgres {
    url: String,
    scratch: Option<tempfile::TempDir>,
}

impl Postgres {
    fn start() -> Postgres {
        if let Ok(url) = std::env::var("SWITCHBOARD_TEST_POSTGRES") {
            return Postgres { url, scratch: None };
        }
        let dir = tempfile::Builder::new()
            .prefix("sb-cluster-pg")
            .tempdir_in("/tmp")
            .unwrap();
        let out = Command::new(repo().join("tools/scratch-postgres"))
            .arg("start")
            .arg(dir.path())
            .output()
            .expect("running tools/scratch-postgres");
        assert!(
            out.status.success(),
            "PostgreSQL did not start (install Debian's postgresql; tools/test does): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Postgres {
            url: String::from_utf8(out.stdout).unwrap().trim().to_owned(),
            scratch: Some(dir),
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(dir) = &self.scratch {
            let _ = Command::new(repo().join("tools/scratch-postgres"))
                .arg("stop")
                .arg(dir.path())
                .status();
        }
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Kamailio as the edge (deploy/kamailio/run-edge), killed when dropped.
struct Edge {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Edge {
    fn start(dir: &Path, database: &str, nodes: &[SocketAddr]) -> Edge {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let log = dir.join("edge.log");
        let mut cmd = Command::new(repo().join("deploy/kamailio/run-edge"));
        cmd.arg(addr.to_string()).arg(database);
        for n in nodes {
            cmd.arg(format!("sip:{n}"));
        }
        let child = cmd
            .env("EDGE_RUNDIR", dir.join("edge"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect(
                "running deploy/kamailio/run-edge (install Debian's kamailio; tools/test does)",
            );
        let edge = Edge { child, addr, log };
        // Ready once it answers OPTIONS.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !edge.answers() {
            assert!(
                Instant::now() < deadline,
                "the edge did not start: {}",
                std::fs::read_to_string(&edge.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        edge
    }

    fn answers(&self) -> bool {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let local = socket.local_addr().unwrap();
        let options = format!(
            "OPTIONS sip:{a} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-{n}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:probe@{local}>;tag=p\r\nTo: <sip:{a}>\r\n\
             Call-ID: probe-{n}@{local}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
            a = self.addr,
            n = free_port()
        );
        socket.send_to(options.as_bytes(), self.addr).unwrap();
        let mut buf = [0u8; 2048];
        matches!(socket.recv_from(&mut buf), Ok((n, _)) if buf[..n].starts_with(b"SIP/2.0"))
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Blocking access to the shared database.
struct Db {
    rt: tokio::runtime::Runtime,
    store: Store,
}

impl Db {
    fn open(url: &str) -> Db {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let store = rt.block_on(Store::open(url)).unwrap();
        Db { rt, store }
    }

    /// The node holding `project`'s live lease.
    fn owner(&self, project: i64) -> Option<String> {
        let view = self.rt.block_on(self.store.cluster_view()).unwrap();
        view.leases
            .into_iter()
            .find(|l| l.project_id == project && l.expires_at > view.now)
            .map(|l| l.node)
    }

    fn wait_owner(&self, project: i64, node: &str, within: Duration) -> Duration {
        let start = Instant::now();
        while self.owner(project).as_deref() != Some(node) {
            assert!(
                start.elapsed() < within,
                "project {project} not served by {node}: {:?}",
                self.owner(project)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        start.elapsed()
    }

    fn registered(&self, aors: &[&str]) -> bool {
        aors.iter().all(|aor| {
            !self
                .rt
                .block_on(self.store.load_bindings_of(aor, 0))
                .unwrap()
                .is_empty()
        })
    }

    fn records(&self) -> Vec<switchboard::store::StoredInteraction> {
        self.rt
            .block_on(self.store.interactions_between(
                switchboard::acd::Millis(0),
                switchboard::acd::Millis(u64::MAX >> 1),
            ))
            .unwrap()
    }
}

const USERS: [(&str, &str); 3] = [
    ("1001", "pw-1001"),
    ("1002", "pw-1002"),
    ("2001", "pw-2001"),
];

fn node_config(name: &str, prefer: &str) -> String {
    format!(
        "demo = true\n[cluster]\nnode = \"{name}\"\nprojects = [\"{prefer}\"]\nlease_secs = 2\n\
         [auth]\nfailures_per_source_per_minute = 100000\n"
    )
}

/// Places one call to `number` through the edge, talking `hold_ms`.
fn call_through(edge: &Edge, dir: &Path, number: &str, hold_ms: u64) -> common::Sipp {
    let inf = dir.join("caller.csv");
    std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
    sipp(
        "queue_caller.xml",
        edge.addr,
        &inf,
        &["-s", number, "-m", "1", "-d", &hold_ms.to_string()],
    )
}

#[test]
fn two_nodes_behind_the_edge_serve_their_projects_and_one_takes_over_the_other() {
    let pg = Postgres::start();
    let work = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = rt
        .block_on(switchboard::store::create_postgres_database(
            &pg.url,
            &format!("cluster_{}", std::process::id()),
        ))
        .unwrap();
    drop(rt);

    // Node a prefers the demo project, node b a second project, Care.
    let mut a = TestServer::start_on(&url, &node_config("a", "Demo"), &USERS);
    let api = Api {
        addr: a.http,
        token: a.admin_token.clone(),
    };
    let care = project(&api, "Care");
    let care_queue = queue(&api, care, "Care", "700");
    let agent = {
        let users = api.get("/api/users").json();
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == "2001")
            .expect("user 2001")["id"]
            .as_i64()
            .unwrap()
    };
    let set = api.put(
        &format!("/api/queues/{care_queue}/agents"),
        &json!([{"user_id": agent, "mandatory": true}]),
    );
    assert!(set.status < 300, "{}", set.body);
    let b = TestServer::start_on(&url, &node_config("b", "Care"), &[]);

    let db = Db::open(&url);
    let demo = db
        .rt
        .block_on(db.store.cluster_view())
        .unwrap()
        .projects
        .iter()
        .find(|(_, name)| name == "Demo")
        .unwrap()
        .0;
    db.wait_owner(demo, "a", Duration::from_secs(20));
    db.wait_owner(care, "b", Duration::from_secs(20));

    let edge = Edge::start(work.path(), &url, &[a.udp, b.udp]);
    // The phones register through the edge; both nodes learn of them.
    let _demo_phone = Phones::start_to(&a, edge.addr, &["1001"], "agent_answer.xml", &[], || {
        db.registered(&["1001"])
    });
    let _care_phone = Phones::start_to(&b, edge.addr, &["2001"], "agent_answer.xml", &[], || {
        db.registered(&["2001"])
    });
    std::thread::sleep(Duration::from_millis(500));

    // One call into each project, each answered by its agent on its node.
    assert_sipp_ok(
        &call_through(&edge, work.path(), "600", 1500),
        "call to Demo",
    );
    assert_sipp_ok(
        &call_through(&edge, work.path(), "700", 1500),
        "call to Care",
    );
    assert_eq!(a.metric("switchboard_call_not_ours_total"), 0);
    let answered_on = |server: &TestServer| server.metric("switchboard_call_agent_answers_total");
    assert_eq!((answered_on(&a), answered_on(&b)), (1, 1));

    // A call still talking when node a dies.
    let edge_addr = edge.addr;
    let dir = work.path().to_owned();
    let talking = std::thread::spawn(move || {
        let inf = dir.join("talker.csv");
        std::fs::write(&inf, "SEQUENTIAL\ncaller;\n").unwrap();
        sipp(
            "queue_caller.xml",
            edge_addr,
            &inf,
            &["-s", "600", "-m", "1", "-d", "30000"],
        )
    });
    let open_deadline = Instant::now() + Duration::from_secs(20);
    while answered_on(&a) < 2 {
        assert!(
            Instant::now() < open_deadline,
            "the third call was not answered"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    a.kill();
    let took = db.wait_owner(demo, "b", Duration::from_secs(20));
    eprintln!(
        "cluster: node b served the demo project {} ms after node a was killed",
        took.as_millis()
    );

    // New calls to the dead node's project reach the survivor and its agent.
    let mut answered = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !answered {
        assert!(
            Instant::now() < deadline,
            "no call to Demo answered after the takeover"
        );
        let run = call_through(&edge, work.path(), "600", 1000);
        answered = run.success;
        if !answered {
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    let _ = talking.join();

    // Every record once: three answered and complete, the one cut off by
    // the death closed as interrupted, none left open.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let records = db.records();
        let complete: Vec<_> = records
            .iter()
            .filter(|r| r.state == switchboard::store::RowState::Complete)
            .collect();
        let interrupted = records
            .iter()
            .filter(|r| r.state == switchboard::store::RowState::Interrupted)
            .count();
        let open = records
            .iter()
            .filter(|r| r.state == switchboard::store::RowState::Open)
            .count();
        if complete.len() >= 3 && open == 0 {
            let mut ids: Vec<u64> = records.iter().map(|r| r.record.interaction_id.0).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), records.len(), "a record twice: {records:#?}");
            assert_eq!(complete.len(), 3, "{records:#?}");
            assert_eq!(interrupted, 1, "{records:#?}");
            assert!(
                complete.iter().all(|r| r.record.agent.is_some()),
                "every completed call answered by an agent: {records:#?}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "records: {records:#?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(b);
    drop(edge);
    drop(pg);
}
