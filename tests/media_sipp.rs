//! DTMF from SIPp itself: a SIPp UAC calls a SIPp UAS whose answer points the media
//! at one of our legs, then plays SIPp's RFC 4733 captures (`play_pcap_audio`) —
//! the end packet three times each — and the leg reports each key press once.
//! Skipped when SIPp or its captures are not installed.

use std::net::{SocketAddr, UdpSocket as StdUdp};
use std::path::Path;
use std::process::Command as Process;
use std::time::Duration;

use switchboard::media::g711::Law;
use switchboard::media::leg::LegConfig;
use switchboard::media::worker::{Command, MediaEvent, MediaWorker};
use tokio::sync::mpsc;

const CAPTURES: &str = "/usr/share/sip-tester";

const UAS: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="answer with the leg's media address">
  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=uas 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio LEG_PORT RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15

    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

    ]]>
  </send>
</scenario>
"#;

const UAC: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="play RFC 4733 captures">
  <send retrans="500">
    <![CDATA[
INVITE sip:queue@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: caller <sip:caller@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: queue <sip:queue@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:caller@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 1 1 IN IP4 [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="200"/>
  <send>
    <![CDATA[
ACK sip:queue@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: caller <sip:caller@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: queue <sip:queue@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:caller@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
PLAYS
  <send retrans="500">
    <![CDATA[
BYE sip:queue@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: caller <sip:caller@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: queue <sip:queue@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: sip:caller@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
"#;

fn free_udp_port() -> u16 {
    StdUdp::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_play_pcap_audio_gives_one_digit_per_key_press() {
    let sipp_ok = Process::new("sipp").arg("-v").output().is_ok();
    if !sipp_ok || !Path::new(CAPTURES).join("dtmf_2833_1.pcap").exists() {
        eprintln!("SIPp or its captures are missing; skipping");
        return;
    }
    let keys = ["1", "5", "9", "star", "0", "pound"];
    let dir = tempfile::tempdir().unwrap();
    let leg = StdUdp::bind("127.0.0.1:0").unwrap();
    let leg_port = leg.local_addr().unwrap().port();
    std::fs::write(
        dir.path().join("uas.xml"),
        UAS.replace("LEG_PORT", &leg_port.to_string()),
    )
    .unwrap();
    let plays: String = keys
        .iter()
        .map(|k| {
            format!(
                "  <nop><action><exec play_pcap_audio=\"{CAPTURES}/dtmf_2833_{k}.pcap\"/></action></nop>\n  \
                 <pause milliseconds=\"400\"/>\n"
            )
        })
        .collect();
    std::fs::write(dir.path().join("uac.xml"), UAC.replace("PLAYS", &plays)).unwrap();

    let (tx, mut events) = mpsc::channel(64);
    let worker = MediaWorker::spawn(tx);
    // The caller is SIPp: its media comes from 127.0.0.1, the address its SDP names.
    let media_port = free_udp_port();
    let sipp_media: SocketAddr = format!("127.0.0.1:{media_port}").parse().unwrap();
    let config = LegConfig::new(Law::Mu, 0, Some(101), Some(sipp_media));
    worker
        .send(Command::AddLeg {
            id: 1,
            socket: leg,
            lease: None,
            config,
        })
        .await
        .unwrap();

    let uas_port = free_udp_port();
    let common = [
        "-i",
        "127.0.0.1",
        "-m",
        "1",
        "-nostdin",
        "-timeout",
        "20s",
        "-timeout_error",
    ];
    let mut uas = Process::new("sipp")
        .current_dir(dir.path())
        .args(["-sf", "uas.xml", "-p", &uas_port.to_string()])
        .args(common)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let uac = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || {
            Process::new("sipp")
                .current_dir(dir)
                .args(["-sf", "uac.xml", "-p", &free_udp_port().to_string()])
                .args(["-mi", "127.0.0.1", "-mp", &media_port.to_string()])
                .args(common)
                .arg(format!("127.0.0.1:{uas_port}"))
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let _ = uas.wait();
    assert!(
        uac.status.success(),
        "SIPp UAC failed: {}",
        String::from_utf8_lossy(&uac.stderr)
    );

    let mut got = String::new();
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(800), events.recv()).await {
        if let MediaEvent::Digit { digit, .. } = ev {
            got.push(digit.key);
        }
    }
    assert_eq!(got, "159*0#", "one digit per key press, in order");
    let report = worker.remove(1).await.unwrap();
    assert_eq!(report.latch.latches, 1);
    assert_eq!(
        report.latch.dropped_foreign + report.latch.dropped_unexpected,
        0
    );
}
