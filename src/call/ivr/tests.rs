//! Menu walks as tables: keys, prompt ends and timeouts in, prompts and the
//! destination out, on a virtual clock.

use super::*;

const MAIN: MenuId = MenuId(1);
const SALES: MenuId = MenuId(2);
const SUPPORT: QueueId = QueueId(7);

fn t(ms: u64) -> Millis {
    Millis(10_000 + ms)
}

fn menus() -> Arc<Menus> {
    let main = Menu {
        id: MAIN,
        name: "Main".into(),
        prompt: "main".into(),
        invalid_prompt: Some("invalid".into()),
        timeout: Duration::from_secs(5),
        repeat: 1,
        options: HashMap::from([
            ('1', Destination::Queue(SUPPORT)),
            ('2', Destination::Menu(SALES)),
            ('#', Destination::Number("+15550199".into())),
        ]),
        fallback: Destination::Menu(SALES),
    };
    let sales = Menu {
        id: SALES,
        name: "Sales".into(),
        prompt: "sales".into(),
        invalid_prompt: None,
        timeout: Duration::from_secs(3),
        repeat: 0,
        options: HashMap::from([('3', Destination::Hangup), ('0', Destination::Menu(MAIN))]),
        fallback: Destination::Hangup,
    };
    Arc::new(Menus {
        menus: HashMap::from([(MAIN, Arc::new(main)), (SALES, Arc::new(sales))]),
        conditions: HashMap::new(),
    })
}

/// One step of a walk: at `ms`, feed a key (`Some`), end the playing
/// prompt (`None` with `done`), or let time pass (the timeout), and what
/// comes out.
enum Step {
    Key(u64, char),
    Done(u64),
    Wait(u64),
}

fn plays(name: &str) -> String {
    format!("play {name}")
}

fn walk(steps: &[Step]) -> (Vec<String>, Ivr) {
    let mut ivr = Ivr::new(t(0), menus(), Destination::Menu(MAIN));
    let mut out = Vec::new();
    let mut playing = 0;
    let drain = |ivr: &mut Ivr, playing: &mut u64, out: &mut Vec<String>| {
        while let Some(a) = ivr.poll_action() {
            match a {
                Action::Play { name, tag } => {
                    *playing = tag;
                    out.push(plays(&name));
                }
                Action::Leave(d) => out.push(format!("leave {d:?}")),
            }
        }
    };
    drain(&mut ivr, &mut playing, &mut out);
    for step in steps {
        match *step {
            Step::Key(ms, key) => ivr.handle(t(ms), Input::Digit(key)),
            Step::Done(ms) => ivr.handle(t(ms), Input::PromptDone { tag: playing }),
            Step::Wait(ms) => {
                if ivr.poll_timeout().is_some_and(|d| d <= t(ms)) {
                    ivr.handle_timeout(t(ms));
                }
            }
        }
        drain(&mut ivr, &mut playing, &mut out);
    }
    (out, ivr)
}

#[test]
fn walks() {
    use Step::*;
    let table: Vec<(&str, Vec<Step>, Vec<&str>, &str)> = vec![
        (
            "a key after the prompt",
            vec![Done(4000), Key(6000, '1')],
            vec!["play main", "leave Queue(QueueId(7))"],
            "Main:1",
        ),
        (
            "a key during the prompt (barge-in)",
            vec![Key(1000, '1')],
            vec!["play main", "leave Queue(QueueId(7))"],
            "Main:1",
        ),
        (
            "a sub-menu, then its hang-up key",
            vec![Key(1000, '2'), Done(3000), Key(4000, '3')],
            vec!["play main", "play sales", "leave Hangup"],
            "Main:2,Sales:3",
        ),
        (
            "back to the main menu from the sub-menu",
            vec![Key(1000, '2'), Key(2000, '0'), Key(2500, '#')],
            vec![
                "play main",
                "play sales",
                "play main",
                "leave Number(\"+15550199\")",
            ],
            "Main:2,Sales:0,Main:#",
        ),
        (
            "no key: replayed once, then the fallback menu, then its fallback",
            vec![
                Done(4000),
                Wait(8999),
                Wait(9000),
                Done(13000),
                Wait(18000),
                Done(19000),
                Wait(22000),
            ],
            vec!["play main", "play main", "play sales", "leave Hangup"],
            "Main:timeout,Main:timeout,Main:fallback,Sales:timeout,Sales:fallback",
        ),
        (
            "a wrong key: the invalid prompt, the menu again, then the fallback",
            vec![Key(1000, '9'), Done(2000), Key(2500, '7'), Done(3000)],
            vec![
                "play main",
                "play invalid",
                "play main",
                "play invalid",
                "play sales",
            ],
            "Main:invalid,Main:invalid,Main:fallback",
        ),
        (
            "no invalid prompt: the menu again at once, and no repeat left",
            vec![Key(1000, '2'), Key(1500, '9')],
            vec!["play main", "play sales", "leave Hangup"],
            "Main:2,Sales:invalid,Sales:fallback",
        ),
    ];
    for (what, steps, actions, path) in table {
        let (out, ivr) = walk(&steps);
        assert_eq!(out, actions, "{what}");
        assert_eq!(ivr.path(), path, "{what}");
    }
}

#[test]
fn a_stale_prompt_end_starts_no_timer() {
    let mut ivr = Ivr::new(t(0), menus(), Destination::Menu(MAIN));
    let Some(Action::Play { tag: first, .. }) = ivr.poll_action() else {
        panic!("no prompt")
    };
    ivr.handle(t(100), Input::Digit('9'));
    assert!(matches!(ivr.poll_action(), Some(Action::Play { .. })));
    ivr.handle(t(200), Input::PromptDone { tag: first });
    assert_eq!(
        ivr.poll_timeout(),
        None,
        "the stopped prompt's end counts not"
    );
}

#[test]
fn keys_after_leaving_and_missing_menus_end_in_a_hang_up() {
    let mut ivr = Ivr::new(t(0), menus(), Destination::Menu(MenuId(99)));
    assert_eq!(ivr.poll_action(), Some(Action::Leave(Destination::Hangup)));
    assert!(ivr.is_over());
    ivr.handle(t(0), Input::Digit('1'));
    assert_eq!(ivr.poll_action(), None);
    assert_eq!(ivr.path(), "menu 99:missing");

    let direct = Ivr::new(t(0), menus(), Destination::Queue(SUPPORT));
    assert!(direct.is_over());
}

#[test]
fn a_fallback_loop_ends_after_max_entries() {
    let mut looping = (*menus()).clone();
    let mut main = (*looping.menus[&MAIN]).clone();
    main.repeat = 0;
    main.fallback = Destination::Menu(MAIN);
    looping.menus.insert(MAIN, Arc::new(main));
    let mut ivr = Ivr::new(t(0), Arc::new(looping), Destination::Menu(MAIN));
    let mut now = 0;
    let mut left = None;
    for _ in 0..(MAX_ENTRIES * 3) {
        while let Some(a) = ivr.poll_action() {
            match a {
                Action::Play { tag, .. } => ivr.handle(t(now), Input::PromptDone { tag }),
                Action::Leave(d) => left = Some(d),
            }
        }
        if let Some(at) = ivr.poll_timeout() {
            now = at.0 - 10_000;
            ivr.handle_timeout(at);
        }
    }
    assert_eq!(left, Some(Destination::Hangup));
    assert!(ivr.path().ends_with("Main:fallback,loop"), "{}", ivr.path());
}

/// A condition open on weekdays 09:00-17:00 UTC: open leads to the queue,
/// closed to the Sales menu.
fn with_hours() -> Arc<Menus> {
    let mut m = (*menus()).clone();
    let nine_to_five = vec![(9 * 60, 17 * 60)];
    let mut weekly: [Vec<(u16, u16)>; 7] = Default::default();
    for day in weekly.iter_mut().take(5) {
        *day = nine_to_five.clone();
    }
    m.conditions.insert(
        ConditionId(5),
        Arc::new(Condition {
            id: ConditionId(5),
            name: "Hours".into(),
            schedule: Schedule {
                weekly,
                holidays: vec![],
                zone: jiff::tz::TimeZone::UTC,
            },
            open: Destination::Queue(SUPPORT),
            closed: Destination::Menu(SALES),
        }),
    );
    Arc::new(m)
}

fn at(utc: &str) -> Millis {
    let ts: jiff::Timestamp = utc.parse().unwrap();
    Millis(ts.as_millisecond() as u64)
}

#[test]
fn a_time_condition_picks_its_destination_by_the_clock() {
    // Monday 2026-12-07.
    let mut open = Ivr::new(
        at("2026-12-07T10:00:00Z"),
        with_hours(),
        Destination::Condition(ConditionId(5)),
    );
    assert_eq!(
        open.poll_action(),
        Some(Action::Leave(Destination::Queue(SUPPORT)))
    );
    assert_eq!(open.path(), "Hours:open");

    let mut closed = Ivr::new(
        at("2026-12-07T18:00:00Z"),
        with_hours(),
        Destination::Condition(ConditionId(5)),
    );
    assert!(matches!(closed.poll_action(), Some(Action::Play { name, .. }) if name == "sales"));
    assert_eq!(closed.path(), "Hours:closed");

    // A menu key leading to the condition, on a Sunday.
    let mut m = (*with_hours()).clone();
    let mut main = (*m.menus[&MAIN]).clone();
    main.options
        .insert('4', Destination::Condition(ConditionId(5)));
    m.menus.insert(MAIN, Arc::new(main));
    let sunday = at("2026-12-13T10:00:00Z");
    let mut ivr = Ivr::new(sunday, Arc::new(m), Destination::Menu(MAIN));
    ivr.poll_action();
    ivr.handle(sunday, Input::Digit('4'));
    assert!(matches!(ivr.poll_action(), Some(Action::Play { name, .. }) if name == "sales"));
    assert_eq!(ivr.path(), "Main:4,Hours:closed");

    let mut missing = Ivr::new(sunday, with_hours(), Destination::Condition(ConditionId(6)));
    assert_eq!(
        missing.poll_action(),
        Some(Action::Leave(Destination::Hangup))
    );
}
