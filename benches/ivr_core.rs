//! What the IVR core costs a call: walks per second through a two-level
//! menu, the way the IVR shell drives it (the walk is built, the main
//! prompt ends, key 2 enters the sub-menu, its prompt ends, key 3 leaves),
//! and time conditions evaluated per second (a route to a condition is
//! evaluated once per call).
//!
//! Run with `cargo bench --bench ivr_core`; `IVR_BENCH_WALKS` sets the
//! number of measured walks (default 1,000,000).

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard::acd::{Millis, QueueId};
use switchboard::call::ivr::*;
use switchboard::call::schedule::Schedule;

fn menus() -> Arc<Menus> {
    let main = Menu {
        id: MenuId(1),
        name: "Main".into(),
        prompt: "prompts/en/thank-you-for-holding".into(),
        invalid_prompt: Some("prompts/en/beep".into()),
        timeout: Duration::from_secs(5),
        repeat: 2,
        options: HashMap::from([
            ('1', Destination::Queue(QueueId(7))),
            ('2', Destination::Menu(MenuId(2))),
        ]),
        fallback: Destination::Hangup,
    };
    let sales = Menu {
        id: MenuId(2),
        name: "Sales".into(),
        prompt: "prompts/en/press-1-callback".into(),
        invalid_prompt: None,
        timeout: Duration::from_secs(5),
        repeat: 0,
        options: HashMap::from([('3', Destination::Condition(ConditionId(9)))]),
        fallback: Destination::Hangup,
    };
    let mut weekly: [Vec<(u16, u16)>; 7] = Default::default();
    for day in weekly.iter_mut().take(5) {
        *day = vec![(9 * 60, 17 * 60)];
    }
    let hours = Condition {
        id: ConditionId(9),
        name: "Hours".into(),
        schedule: Schedule {
            weekly,
            holidays: vec!["2026-12-25".parse().unwrap()],
            zone: jiff::tz::TimeZone::get("Europe/Berlin").unwrap(),
        },
        open: Destination::Queue(QueueId(7)),
        closed: Destination::Hangup,
    };
    Arc::new(Menus {
        menus: HashMap::from([(MenuId(1), Arc::new(main)), (MenuId(2), Arc::new(sales))]),
        conditions: HashMap::from([(ConditionId(9), Arc::new(hours))]),
    })
}

fn walk(menus: &Arc<Menus>, now: Millis) -> Option<Destination> {
    let mut ivr = Ivr::new(now, menus.clone(), Destination::Menu(MenuId(1)));
    let mut left = None;
    for input in [None, Some('2'), None, Some('3')] {
        while let Some(action) = ivr.poll_action() {
            match action {
                Action::Play { tag, .. } if input.is_none() => {
                    ivr.handle(now, Input::PromptDone { tag });
                }
                Action::Play { .. } => {}
                Action::Leave(d) => left = Some(d),
            }
        }
        black_box(ivr.poll_timeout());
        if let Some(key) = input {
            ivr.handle(now, Input::Digit(key));
        }
    }
    while let Some(action) = ivr.poll_action() {
        if let Action::Leave(d) = action {
            left = Some(d);
        }
    }
    black_box(ivr.path());
    left
}

fn main() {
    let walks: u32 = std::env::var("IVR_BENCH_WALKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let menus = menus();
    let now = Millis(1_796_659_000_000);
    assert!(walk(&menus, now).is_some(), "the walk leaves");
    let start = Instant::now();
    for i in 0..walks {
        black_box(walk(&menus, Millis(now.0 + u64::from(i))));
    }
    let took = start.elapsed();
    println!(
        "ivr walk (2 menus, 2 keys, 1 condition): {walks} walks in {took:?}: {:.0} ns/walk, {:.0} walks/s",
        took.as_nanos() as f64 / f64::from(walks),
        f64::from(walks) / took.as_secs_f64()
    );
    let hours = &menus.conditions[&ConditionId(9)].schedule;
    let start = Instant::now();
    let mut open = 0u32;
    for i in 0..walks {
        let at =
            jiff::Timestamp::from_millisecond(1_796_659_000_000 + i64::from(i) * 60_000).unwrap();
        open += u32::from(black_box(hours.is_open(at)));
    }
    let took = start.elapsed();
    println!(
        "time condition: {walks} evaluations in {took:?}: {:.0} ns each ({open} open)",
        took.as_nanos() as f64 / f64::from(walks)
    );
}
