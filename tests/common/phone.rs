//! baresip, Debian's SIP phone, as an agent's desk phone in the tests: it
//! registers with digest, answers by itself, sends a 1 kHz tone and keeps a
//! WAV copy of what it hears.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, TestServer};

/// The tone baresip sends, in Hz.
pub const PHONE_TONE_HZ: f64 = 1000.0;

/// baresip in its own folder: configuration, the tone it sends, the WAV
/// files its `sndfile` filter writes of what it sends and hears, its log.
pub struct Baresip {
    child: Child,
    dir: PathBuf,
}

impl Baresip {
    pub fn start(server: &TestServer, user: &str, password: &str) -> Baresip {
        Baresip::start_in(server, "baresip", user, password, PHONE_TONE_HZ)
    }

    /// A phone in the folder `name` (several may run) sending a tone of `hz`.
    pub fn start_in(
        server: &TestServer,
        name: &str,
        user: &str,
        password: &str,
        hz: f64,
    ) -> Baresip {
        Baresip::start_configured(server, name, user, password, hz, "")
    }

    /// A phone that takes calls only with SRTP keyed by SDES (baresip's
    /// `srtp` module, `mediaenc=srtp-mand`: `RTP/SAVP` and `a=crypto`).
    pub fn start_srtp(server: &TestServer, user: &str, password: &str) -> Baresip {
        Baresip::start_configured(
            server,
            "baresip",
            user,
            password,
            PHONE_TONE_HZ,
            ";mediaenc=srtp-mand",
        )
    }

    /// `account_params` go on the account line after the password.
    fn start_configured(
        server: &TestServer,
        name: &str,
        user: &str,
        password: &str,
        hz: f64,
        account_params: &str,
    ) -> Baresip {
        let dir = server.dir.path().join(name);
        std::fs::create_dir_all(dir.join("dumps")).unwrap();
        write_tone(&dir.join("tone.wav"), hz, 60);
        let rtp = free_port() & !1;
        // No sound card: ALSA's null device plays what baresip hears, and the
        // sndfile filter keeps a copy of it for the test.
        let config = format!(
            "poll_method poll\n\
             sip_listen 127.0.0.1:{sip}\n\
             audio_player alsa,null\n\
             audio_alert alsa,null\n\
             audio_source aufile,{tone}\n\
             rtp_ports {rtp}-{rtp_end}\n\
             module_path /usr/lib/baresip/modules\n\
             module g711.so\n\
             module aufile.so\n\
             module alsa.so\n\
             module sndfile.so\n\
             module srtp.so\n\
             module_app account.so\n\
             snd_path {dumps}\n",
            sip = free_port(),
            tone = dir.join("tone.wav").display(),
            rtp_end = rtp + 10,
            dumps = dir.join("dumps").display(),
        );
        std::fs::write(dir.join("config"), config).unwrap();
        // Auto answer, as a headset agent's phone is set up.
        let account = format!(
            "<sip:{user}@{registrar}>;auth_pass={password};answermode=auto{account_params};regint=600\n",
            registrar = server.udp
        );
        std::fs::write(dir.join("accounts"), account).unwrap();
        let log = std::fs::File::create(dir.join("baresip.log")).unwrap();
        // -s traces SIP, so the test can read baresip's answer.
        let child = Command::new("baresip")
            .arg("-f")
            .arg(&dir)
            .args(["-s", "-v"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("running baresip (install Debian's baresip; tools/test does)");
        Baresip { child, dir }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("baresip.log")).unwrap_or_default()
    }

    /// How many calls have ended on the phone.
    pub fn calls_ended(&self) -> usize {
        self.log().matches("terminated (duration").count()
    }

    /// The samples of the newest dump whose name ends with `suffix` (each
    /// call leaves its own).
    pub fn latest_dump(&self, suffix: &str) -> Vec<i16> {
        let file = std::fs::read_dir(self.dir.join("dumps"))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .unwrap_or_else(|| panic!("no {suffix} dump from baresip:\n{}", self.log()));
        hound::WavReader::open(file)
            .unwrap()
            .samples::<i16>()
            .map(Result::unwrap)
            .collect()
    }

    /// The samples of the first dump whose name ends with `suffix`.
    pub fn dump(&self, suffix: &str) -> Vec<i16> {
        let file = std::fs::read_dir(self.dir.join("dumps"))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.to_string_lossy().ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix} dump from baresip:\n{}", self.log()));
        hound::WavReader::open(file)
            .unwrap()
            .samples::<i16>()
            .map(Result::unwrap)
            .collect()
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mono 8 kHz 16-bit WAV of a sine at `hz`, `secs` long.
pub fn write_tone(path: &Path, hz: f64, secs: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..8000 * secs {
        let t = i as f64 / 8000.0;
        w.write_sample((12_000.0 * (2.0 * std::f64::consts::PI * hz * t).sin()) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

/// Waits for `done`, failing with `what` and `log()` after `timeout`.
pub fn wait_for(
    what: &str,
    timeout: Duration,
    mut done: impl FnMut() -> bool,
    log: impl Fn() -> String,
) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "{what}:\n{}", log());
        std::thread::sleep(Duration::from_millis(100));
    }
}
