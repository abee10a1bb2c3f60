//! Parse speed of the SIP message layer on RFC 4475's sdp01.dat (an ordinary
//! INVITE with an SDP body): the start line, header split and name recognition,
//! which is all `parse` does eagerly. Typed access is measured separately.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use switchboard::sip::message::{parse, validate_request, Message};

fn load(name: &str) -> Bytes {
    let p = format!(
        "{}/../shared/testdata/rfc4475/{name}.dat",
        env!("CARGO_MANIFEST_DIR")
    );
    Bytes::from(std::fs::read(&p).expect("RFC 4475 test data"))
}

fn bench(c: &mut Criterion) {
    let sdp01 = load("sdp01");
    c.bench_function("parse sdp01", |b| {
        b.iter(|| parse(black_box(sdp01.clone())).unwrap())
    });
    c.bench_function("parse + validate sdp01", |b| {
        b.iter(|| match parse(black_box(sdp01.clone())).unwrap() {
            Message::Request(r) => validate_request(&r).is_ok(),
            Message::Response(_) => false,
        })
    });
    c.bench_function("parse + transaction fields sdp01", |b| {
        b.iter(|| match parse(black_box(sdp01.clone())).unwrap() {
            Message::Request(r) => {
                let via = r.top_via().unwrap();
                let cseq = r.cseq().unwrap();
                let tag = r.from().unwrap().tag().map(str::len);
                (via.port, cseq.seq, tag, r.call_id().map(str::len))
            }
            Message::Response(_) => unreachable!(),
        })
    });
    let msg = parse(sdp01.clone()).unwrap();
    c.bench_function("print sdp01", |b| b.iter(|| black_box(&msg).to_bytes()));
    let wsinv = load("wsinv");
    c.bench_function("parse wsinv", |b| {
        b.iter(|| parse(black_box(wsinv.clone())).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
