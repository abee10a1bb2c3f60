//! A real SMTP server for the e-mail tests: Python's aiosmtpd (installed by
//! tools/test into its own virtual environment, `SMTP_VENV`), keeping every
//! message it receives in a maildir that Python's email package reads back.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Python's aiosmtpd, keeping each message it receives in a maildir.
pub struct Smtp {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
    python: PathBuf,
}

impl Smtp {
    pub fn start(dir: &Path) -> Smtp {
        let venv = std::env::var("SMTP_VENV").unwrap_or_else(|_| "/tmp/aiosmtpd-venv".into());
        let python = Path::new(&venv).join("bin/python");
        let has = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            has,
            "aiosmtpd is missing: python3 -m venv {venv} && {venv}/bin/pip install aiosmtpd==1.4.6 \
             (tools/test does it)"
        );
        let port = super::free_port();
        let maildir = dir.join("maildir");
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting aiosmtpd");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Smtp {
            child,
            port,
            maildir,
            python,
        }
    }

    /// Every message received, parsed by Python's email package: headers,
    /// the text, and each attachment's name, type and SHA-256.
    pub fn messages(&self) -> Vec<Value> {
        let script = r#"
import hashlib, json, mailbox, sys
out = []
for m in mailbox.Maildir(sys.argv[1], create=False):
    text, files = "", []
    for part in m.walk():
        if part.is_multipart():
            continue
        if part.get_filename():
            data = part.get_payload(decode=True)
            files.append({"name": part.get_filename(), "type": part.get_content_type(),
                          "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
        elif part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    out.append({"subject": str(m["Subject"]), "to": str(m["To"]), "from": str(m["From"]),
                "message_id": str(m["Message-ID"]), "text": text, "files": files})
print(json.dumps(out))
"#;
        if !self.maildir.join("new").exists() {
            return Vec::new();
        }
        let out = Command::new(&self.python)
            .args(["-c", script])
            .arg(&self.maildir)
            .output()
            .expect("reading the maildir");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
    }

    /// The first `n` mails received, waiting up to 40 s for them.
    pub fn wait_for(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} mails: {got:#?}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
