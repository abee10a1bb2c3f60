//! The engine against queueing theory: Erlang C for callers who wait for ever
//! (service level within 2 percentage points, average speed of answer within
//! 5 %, at loads from 70 % to 95 %), and Erlang A with patience.

use super::erlang::ErlangA;
use super::*;

fn scenario(agents: u32, load: f64, hours: f64, seed: u64) -> Scenario {
    let handle = 180.0;
    Scenario {
        agents,
        calls_per_hour: load * f64::from(agents) * 3600.0 / handle,
        handle_time_secs: handle,
        patience_secs: None,
        after_call_work_secs: 0.0,
        service_level_secs: 20.0,
        hours,
        warmup_hours: 2.0,
        seed,
    }
}

/// Runs M/M/c at `load` with 20 agents and checks it against Erlang C. Runs
/// are long (10,000 simulated hours, 2.8 to 3.8 million calls) because near
/// full load the average wait settles slowly; a few hundred hours leave it
/// several percent off either way.
fn check_erlang_c(load: f64, hours: f64) {
    let s = scenario(20, load, hours, 11);
    let r = run(&s);
    let model = s.erlang_c();
    let sl = model.service_level(s.service_level_secs);
    eprintln!(
        "load {load:.2}: calls {} SL {:.4} (Erlang C {sl:.4}) ASA {:.2}s (Erlang C {:.2}s) occupancy {:.4} events {}",
        r.calls,
        r.service_level,
        r.asa,
        model.asa(),
        r.occupancy,
        r.engine_events
    );
    assert!((r.service_level - sl).abs() < 0.02, "load {load}: {r:?}");
    assert!(
        (r.asa - model.asa()).abs() / model.asa() < 0.05,
        "load {load}: {r:?}"
    );
    assert!(
        (r.p_wait - model.p_wait()).abs() < 0.02,
        "load {load}: {r:?}"
    );
    assert!((r.occupancy - load).abs() < 0.01, "load {load}: {r:?}");
    assert_eq!(r.abandoned, 0);
}

#[test]
fn erlang_c_at_70_percent_load() {
    check_erlang_c(0.70, 10_000.0);
}

#[test]
fn erlang_c_at_80_percent_load() {
    check_erlang_c(0.80, 10_000.0);
}

#[test]
fn erlang_c_at_90_percent_load() {
    check_erlang_c(0.90, 10_000.0);
}

#[test]
fn erlang_c_at_95_percent_load() {
    check_erlang_c(0.95, 10_000.0);
}

#[test]
fn abandonment_and_speed_of_answer_agree_with_erlang_a() {
    for (load, patience) in [(0.90, 120.0), (1.05, 300.0)] {
        let mut s = scenario(30, load, 2000.0, 5);
        s.patience_secs = Some(patience);
        let r = run(&s);
        let model: ErlangA = s.erlang_a().expect("patience set");
        let f = model.figures();
        let sl = model.service_level(s.service_level_secs);
        eprintln!(
            "load {load:.2} patience {patience}: SL {:.4} (Erlang A {sl:.4}) abandon {:.4} ({:.4}) ASA {:.2}s ({:.2}s) P(wait) {:.4} ({:.4})",
            r.service_level, r.abandon_rate, f.abandon_rate, r.asa, f.asa, r.p_wait, f.p_wait
        );
        assert!((r.service_level - sl).abs() < 0.02, "{r:?} {sl}");
        assert!(
            (r.abandon_rate - f.abandon_rate).abs() < 0.01,
            "{r:?} {f:?}"
        );
        assert!((r.asa - f.asa).abs() / f.asa < 0.05, "{r:?} {f:?}");
        assert!((r.p_wait - f.p_wait).abs() < 0.02, "{r:?} {f:?}");
    }
}

#[test]
fn estimated_wait_by_position_is_unbiased_for_patient_callers() {
    // Each caller is told the estimate for their place on arrival; on
    // average it must match what they then wait. An estimate that ignored
    // position (everyone told the same) could not.
    for load in [0.80, 0.95] {
        let s = scenario(20, load, 4000.0, 3);
        let r = run(&s);
        eprintln!(
            "load {load:.2}: estimated {:.2}s, waited {:.2}s",
            r.mean_estimate, r.mean_wait
        );
        assert!(
            (r.mean_estimate - r.mean_wait).abs() / r.mean_wait < 0.05,
            "{r:?}"
        );
    }
}
