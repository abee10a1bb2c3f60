//! Recording a bridge in a real worker over loopback: a phone leg (PCMU) and a
//! browser leg's stand-in (PCMA, its audio injected as the WebRTC hub would)
//! end up in one stereo WAV, the phone on the left, the browser on the right;
//! removing a leg completes the file, and the counters say so.

mod common;

use std::time::{Duration, Instant};

use common::media::{leg_socket, mu, peer, worker};
use switchboard::media::bridge::LegCodec;
use switchboard::media::g711::Law;
use switchboard::media::rtp::RtpHeader;
use switchboard::media::worker::{Command, MediaWorker, Packet, WorkerReport};
use tokio::sync::mpsc;

fn rtp(pt: u8, seq: u16, ssrc: u32, byte: u8) -> Vec<u8> {
    let mut v = vec![0u8; 12];
    RtpHeader {
        marker: false,
        payload_type: pt,
        sequence: seq,
        timestamp: 160 * seq as u32,
        ssrc,
    }
    .write(&mut v);
    v.extend_from_slice(&[byte; 160]);
    v
}

async fn report_until(w: &MediaWorker, done: impl Fn(&WorkerReport) -> bool) -> WorkerReport {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = w.report().await.unwrap();
        if done(&r) {
            return r;
        }
        assert!(Instant::now() < deadline, "{r:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_phone_and_a_browser_leg_are_recorded_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("2024").join("call.wav");
    let (w, _events) = worker();
    let (phone_leg, phone_leg_addr) = leg_socket();
    let (phone, phone_addr) = peer().await;
    w.send(Command::AddLeg {
        id: 30,
        socket: phone_leg,
        lease: None,
        config: mu(phone_addr),
    })
    .await
    .unwrap();
    let (hub, mut to_browser) = mpsc::channel::<Packet>(1024);
    let browser_codec = LegCodec {
        law: Law::A,
        payload_type: 8,
        telephone_event: Some(101),
    };
    w.send(Command::AddExternal {
        id: 31,
        codec: browser_codec,
        hub,
    })
    .await
    .unwrap();
    w.send(Command::Bridge { a: 30, b: 31 }).await.unwrap();
    w.send(Command::StartRecording {
        a: 30,
        b: 31,
        path: path.clone(),
    })
    .await
    .unwrap();
    let (left, right) = (Law::Mu.decode(0x20), Law::A.decode(0x35));
    for i in 0..40u16 {
        phone
            .send_to(&rtp(0, i, 0xca11, 0x20), phone_leg_addr)
            .await
            .unwrap();
        w.injector()
            .send(Packet {
                leg: 31,
                data: rtp(8, i, 0xb0, 0x35),
            })
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The relay still works while recording: the browser got the phone's audio.
    assert!(to_browser.try_recv().is_ok());
    let during = w.report().await.unwrap();
    assert_eq!(during.recordings, 1);
    w.send(Command::RemoveLeg {
        id: 31,
        reply: None,
    })
    .await
    .unwrap();
    let r = report_until(&w, |r| r.recording_files == 1).await;
    assert_eq!((r.recordings, r.recording_errors), (0, 0), "{r:#?}");
    assert!(r.recording_frames >= 40, "{r:#?}");

    let mut wav = hound::WavReader::open(&path).unwrap();
    let spec = wav.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (2, 8000, 16)
    );
    let samples: Vec<i16> = wav.samples::<i16>().map(Result::unwrap).collect();
    assert_eq!(samples.len() as u64, r.recording_frames * 320);
    let frames_of = |ch: usize, v: i16| {
        samples
            .chunks_exact(320)
            .filter(|f| f.iter().skip(ch).step_by(2).all(|&s| s == v))
            .count()
    };
    // Most of the 40 packets of each side, each whole in one channel.
    assert!(
        frames_of(0, left) >= 20,
        "left frames {}",
        frames_of(0, left)
    );
    assert!(
        frames_of(1, right) >= 20,
        "right frames {}",
        frames_of(1, right)
    );
    // Neither side leaks into the other channel.
    assert!(samples
        .chunks_exact(2)
        .all(|p| p[0] != right && p[1] != left));
}

#[tokio::test]
async fn stopping_completes_the_file_and_a_bad_folder_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (w, _events) = worker();
    let (a_sock, _) = leg_socket();
    let (b_sock, _) = leg_socket();
    let (_a, a_addr) = peer().await;
    let (_b, b_addr) = peer().await;
    for (id, socket, addr) in [(40, a_sock, a_addr), (41, b_sock, b_addr)] {
        w.send(Command::AddLeg {
            id,
            socket,
            lease: None,
            config: mu(addr),
        })
        .await
        .unwrap();
    }
    w.send(Command::Bridge { a: 40, b: 41 }).await.unwrap();
    // A file under a plain file cannot be made.
    std::fs::write(dir.path().join("plain"), b"x").unwrap();
    w.send(Command::StartRecording {
        a: 40,
        b: 41,
        path: dir.path().join("plain").join("x.wav"),
    })
    .await
    .unwrap();
    report_until(&w, |r| r.recording_errors == 1).await;
    // Nobody speaks: the file still holds one silent frame a period.
    let path = dir.path().join("quiet.wav");
    w.send(Command::StartRecording {
        a: 40,
        b: 41,
        path: path.clone(),
    })
    .await
    .unwrap();
    report_until(&w, |r| r.recording_frames >= 10).await;
    w.send(Command::StopRecording { id: 41 }).await.unwrap();
    let r = report_until(&w, |r| r.recording_files == 1).await;
    assert_eq!(r.recordings, 0);
    let mut wav = hound::WavReader::open(&path).unwrap();
    let samples: Vec<i16> = wav.samples::<i16>().map(Result::unwrap).collect();
    assert!(samples.len() >= 10 * 320);
    assert!(samples.iter().all(|&s| s == 0));
}
