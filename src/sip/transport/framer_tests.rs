//! Table tests of the stream framer: each case is a byte stream and what must
//! come out of it, checked fed whole, one byte at a time, and cut at every
//! point in two (framing must not depend on how TCP segments the stream).
use super::*;

const MAX: usize = 300;

/// What came out, in a form a table can spell.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
    /// A message, by its first line.
    Msg(&'static str),
    Ping,
    /// Refused, with the first line of the head answered, if any.
    Refused(FrameError, Option<&'static str>),
}

use Out::*;

fn options(extra: &str, body: &str) -> String {
    format!("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n{extra}\r\n{body}")
}

fn first_line(b: &[u8]) -> String {
    let text = String::from_utf8_lossy(b);
    text.split("\r\n").next().unwrap_or("").to_owned()
}

/// Feeds `chunks` one after the other, polling after each.
fn run(chunks: &[&[u8]]) -> (Vec<(String, Framed)>, bool) {
    let mut framer = Framer::new(MAX);
    let mut out = Vec::new();
    for chunk in chunks {
        framer.push(chunk);
        while let Some(f) = framer.poll() {
            let line = match &f {
                Framed::Message(m) => first_line(m),
                Framed::Refused { head: Some(h), .. } => first_line(h),
                _ => String::new(),
            };
            out.push((line, f));
        }
    }
    (out, framer.in_message())
}

fn simplify(got: &[(String, Framed)], expect: &[Out]) -> Vec<Out> {
    // Message lines are compared as strings; map them onto the table's
    // &'static strs where they match so the whole list compares at once.
    let name = |line: &str| {
        expect
            .iter()
            .find_map(|e| match e {
                Msg(l) | Refused(_, Some(l)) if *l == line => Some(*l),
                _ => None,
            })
            .unwrap_or("<unexpected>")
    };
    got.iter()
        .map(|(line, f)| match f {
            Framed::Message(_) => Msg(name(line)),
            Framed::Ping => Ping,
            Framed::Refused { error, head } => Refused(*error, head.as_ref().map(|_| name(line))),
        })
        .collect()
}

const OPT: &str = "OPTIONS sip:a@b SIP/2.0";

struct Case {
    name: &'static str,
    stream: String,
    expect: Vec<Out>,
    /// Part of a message still waits for bytes at the end.
    in_message: bool,
}

fn cases() -> Vec<Case> {
    let ok = options("Content-Length: 0\r\n", "");
    let case = |name, stream: String, expect: Vec<Out>, in_message| Case {
        name,
        stream,
        expect,
        in_message,
    };
    vec![
        case("one message", ok.clone(), vec![Msg(OPT)], false),
        case(
            "CRLFs before a start line are skipped (RFC 3261 7.5)",
            format!("\r\n\n{ok}"),
            vec![Msg(OPT)],
            false,
        ),
        case(
            "two messages, a CRLF between them (RFC 4475 dblreq)",
            format!("{ok}\r\n{ok}"),
            vec![Msg(OPT), Msg(OPT)],
            false,
        ),
        case(
            "a body is Content-Length octets, then the next message",
            format!("{}{ok}", options("l: 5\r\n", "hello")),
            vec![Msg(OPT), Msg(OPT)],
            false,
        ),
        case(
            "a double CRLF is a ping (RFC 5626)",
            "\r\n\r\n".into(),
            vec![Ping],
            false,
        ),
        case(
            "two pings, then a message",
            format!("\r\n\r\n\r\n\r\n{ok}"),
            vec![Ping, Ping, Msg(OPT)],
            false,
        ),
        case(
            "a ping after a message",
            format!("{ok}\r\n\r\n"),
            vec![Msg(OPT), Ping],
            false,
        ),
        case("one CRLF is no ping", "\r\n".into(), vec![], false),
        case(
            "bare LFs are skipped but are no ping",
            "\n\n\n\n".into(),
            vec![],
            false,
        ),
        case(
            "a message waits for its body",
            options("Content-Length: 10\r\n", "short"),
            vec![],
            true,
        ),
        case(
            "a message waits for the end of its header section",
            "OPTIONS sip:a@b SIP/2.0\r\nVia: x".into(),
            vec![],
            true,
        ),
        case(
            "no Content-Length (RFC 3261 18.3, RFC 4475 inv2543)",
            options("", "v=0\r\n"),
            vec![Refused(FrameError::MissingContentLength, Some(OPT))],
            false,
        ),
        case(
            "a negative Content-Length (RFC 4475 ncl)",
            options("Content-Length: -999\r\n", "v=0\r\n"),
            vec![Refused(FrameError::NegativeContentLength, Some(OPT))],
            false,
        ),
        case(
            "two Content-Lengths that disagree (RFC 4475 mcl01)",
            options("Content-Length: 13\r\nl: 5\r\n", "There's no way to know"),
            vec![Refused(FrameError::ConflictingContentLength, Some(OPT))],
            false,
        ),
        case(
            "a malformed Content-Length",
            options("Content-Length: 1x\r\n", ""),
            vec![Refused(FrameError::BadContentLength, Some(OPT))],
            false,
        ),
        case(
            "a Content-Length past the size limit",
            options("Content-Length: 100000\r\n", ""),
            vec![Refused(FrameError::TooLarge, Some(OPT))],
            false,
        ),
        case(
            "a header section past the size limit has no head to answer",
            format!("{OPT}\r\nSubject: {}\r\n", "x".repeat(MAX)),
            vec![Refused(FrameError::TooLarge, None)],
            false,
        ),
        case(
            "nothing after a refused message is framed",
            format!("{ok}{}{ok}\r\n\r\n", options("", "")),
            vec![
                Msg(OPT),
                Refused(FrameError::MissingContentLength, Some(OPT)),
            ],
            false,
        ),
    ]
}

#[test]
fn table() {
    for case in cases() {
        let bytes = case.stream.as_bytes();
        let mut feeds: Vec<(String, Vec<&[u8]>)> = vec![
            ("whole".into(), vec![bytes]),
            ("byte by byte".into(), bytes.chunks(1).collect()),
        ];
        for cut in 1..bytes.len() {
            feeds.push((format!("cut at {cut}"), vec![&bytes[..cut], &bytes[cut..]]));
        }
        for (how, chunks) in feeds {
            let (got, in_message) = run(&chunks);
            assert_eq!(
                simplify(&got, &case.expect),
                case.expect,
                "{} ({how})",
                case.name
            );
            assert_eq!(in_message, case.in_message, "{} ({how})", case.name);
        }
    }
}

#[test]
fn messages_come_out_byte_for_byte() {
    let first = options("Content-Length: 5\r\n", "hello");
    let second = options("l: 0\r\n", "");
    let stream = format!("\r\n{first}\r\n\r\n{second}");
    let (got, _) = run(&[stream.as_bytes()]);
    let frames: Vec<Framed> = got.into_iter().map(|(_, f)| f).collect();
    assert_eq!(
        frames,
        vec![
            Framed::Message(Bytes::from(first)),
            Framed::Ping,
            Framed::Message(Bytes::from(second)),
        ]
    );
}

#[test]
fn the_refused_head_is_the_header_section_alone() {
    let (got, _) = run(&[options("", "v=0\r\n").as_bytes()]);
    let [(
        _,
        Framed::Refused {
            head: Some(head), ..
        },
    )] = &got[..]
    else {
        panic!("{got:?}")
    };
    assert_eq!(head, &Bytes::from(options("", "")));
}

#[test]
fn refused_heads_are_answered_with_the_reason_named() {
    // The torture messages whose framing fails over a stream, and the
    // answer the core sends for each before the connection closes.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata/rfc4475/");
    for (file, error) in [
        ("inv2543", FrameError::MissingContentLength),
        ("ncl", FrameError::NegativeContentLength),
        ("mcl01", FrameError::ConflictingContentLength),
    ] {
        let raw = std::fs::read(format!("{dir}{file}.dat")).unwrap();
        let mut framer = Framer::new(64 * 1024);
        framer.push(&raw);
        let Some(Framed::Refused {
            error: got,
            head: Some(head),
        }) = framer.poll()
        else {
            panic!("{file}: not refused with a head")
        };
        assert_eq!(got, error, "{file}");
        let response = got.response(head).expect(file);
        assert_eq!(response.status, 400, "{file}");
        assert_eq!(response.reason_str(), error.reason(), "{file}");
        assert!(response.cseq().is_ok(), "{file}");
    }
}

#[test]
fn refused_responses_and_acks_get_no_answer() {
    let response =
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\n\r\n";
    assert_eq!(
        FrameError::MissingContentLength.response(Bytes::from_static(response)),
        None
    );
    let ack = "ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\n\r\n";
    assert_eq!(
        FrameError::MissingContentLength.response(Bytes::from(ack)),
        None
    );
    let garbage = Bytes::from_static(b"\x01\x02 not sip\r\n\r\n");
    assert_eq!(FrameError::BadContentLength.response(garbage), None);
}
