//! Queue exits, timeouts and callbacks as tables: inputs in, the call
//! core's actions out, on a virtual clock.

use std::time::Duration;

use super::tests::*;
use super::*;
use crate::cdr::{Disposition, TerminateSide};

const CB: CallId = CallId(900);

#[test]
fn a_callback_asked_for_by_dtmf_takes_the_callers_place_then_says_so_and_hangs_up() {
    let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Callback), Duration::ZERO));
    flow.handle(t(10), Input::Digit('1'));
    // Stored first, so the caller is still in the queue meanwhile.
    assert_eq!(
        drain(&mut flow),
        vec![Action::StoreCallback {
            queue: Q1,
            interaction: C1.0,
            at: t(10)
        }]
    );
    // An offer while it is stored rings nobody: the caller is leaving.
    flow.handle(
        t(10),
        Input::Offer {
            call: C1,
            agent: A1,
            aor: "a1".into(),
            auto_answer: false,
        },
    );
    assert_eq!(
        drain(&mut flow),
        vec![Action::Dispatch(acd::Event::OfferFailed {
            call: C1,
            agent: A1
        })]
    );
    flow.handle(t(10), Input::CallbackStored { callback: Some(CB) });
    assert_eq!(
        drain(&mut flow),
        vec![
            Action::Count(Count::CallbackRequests),
            Action::Dispatch(acd::Event::CallbackRequested {
                call: C1,
                callback: CB
            }),
        ]
    );
    flow.handle(
        t(10),
        Input::Record {
            call: C1,
            event: CallEvent::QueueExit {
                target: Some("callback".into()),
            },
        },
    );
    let exit = drain(&mut flow);
    assert_eq!(counts(&exit), vec![Count::QueueExits]);
    assert_eq!(
        moves(&exit),
        vec![Action::Goodbye(Prompt::CallbackRegistered)]
    );
    flow.handle(t(14), Input::PlaybackDone(Playback::Goodbye));
    let ended = drain(&mut flow);
    assert_eq!(
        moves(&ended),
        vec![
            Action::ByeCaller,
            Action::CloseCaller,
            Action::Dispatch(acd::Event::Hangup { call: C1 }),
            Action::Finished,
        ]
    );
    let record = &completed(&ended)[0];
    assert_eq!(record.disposition, Some(Disposition::AbandonedByQueueExit));
    assert_eq!(record.terminate_side, Some(TerminateSide::System));
}

#[test]
fn a_callback_that_cannot_keep_the_callers_place_joins_at_the_back() {
    // (what, inputs after the digit, the callback's arrival expected)
    let stored = Input::CallbackStored { callback: Some(CB) };
    let redirect = Input::Redirect {
        call: C1,
        target: ExitTarget::Callback,
    };
    let table: Vec<(&str, Vec<Input>, Prompt)> = vec![
        (
            "the queue timeout passed while it was stored",
            vec![redirect.clone(), stored.clone()],
            Prompt::CallbackRegistered,
        ),
        (
            "the queue timeout passed before dispatch took it",
            vec![stored.clone(), redirect.clone()],
            Prompt::CallbackRegistered,
        ),
    ];
    for (what, inputs, prompt) in table {
        let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Callback), Duration::ZERO));
        flow.handle(t(10), Input::Digit('1'));
        let mut actions = drain(&mut flow);
        for input in inputs {
            flow.handle(t(11), input);
            actions.extend(drain(&mut flow));
        }
        let arrived = Action::Dispatch(acd::Event::CallbackArrived {
            call: CB,
            queue: Q1,
            requested: t(11),
            attempts: 0,
        });
        assert!(actions.contains(&arrived), "{what}: {actions:?}");
        assert_eq!(
            moves(&actions).last(),
            Some(&Action::Goodbye(prompt)),
            "{what}"
        );
    }
}

#[test]
fn a_callback_that_cannot_be_stored_still_lets_the_caller_leave() {
    let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Callback), Duration::ZERO));
    flow.handle(t(10), Input::Digit('1'));
    drain(&mut flow);
    flow.handle(t(10), Input::CallbackStored { callback: None });
    let actions = drain(&mut flow);
    assert_eq!(counts(&actions), vec![Count::ExitFailures]);
    assert_eq!(
        moves(&actions),
        vec![Action::Dispatch(acd::Event::QueueExit { call: C1 })]
    );
    flow.handle(
        t(10),
        Input::Record {
            call: C1,
            event: CallEvent::QueueExit { target: None },
        },
    );
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![Action::Goodbye(Prompt::Goodbye)]
    );
}

#[test]
fn the_queue_timeout_to_a_callback_stores_it_and_puts_it_at_the_back() {
    let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Callback), Duration::ZERO));
    flow.handle(
        t(60),
        Input::Redirect {
            call: C1,
            target: ExitTarget::Callback,
        },
    );
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![Action::StoreCallback {
            queue: Q1,
            interaction: C1.0,
            at: t(60)
        }]
    );
    flow.handle(t(60), Input::CallbackStored { callback: Some(CB) });
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![
            Action::Dispatch(acd::Event::CallbackArrived {
                call: CB,
                queue: Q1,
                requested: t(60),
                attempts: 0,
            }),
            Action::Goodbye(Prompt::CallbackRegistered),
        ]
    );
}

#[test]
fn exits_that_fail_fall_back_to_the_goodbye_prompt() {
    // (what, exit target, the shell's answer, counted)
    let table: Vec<(&str, ExitTarget, Option<Input>)> = vec![
        (
            "an unknown queue",
            ExitTarget::Queue(Q2),
            Some(Input::QueueFound {
                queue: None,
                next: C2,
            }),
        ),
        (
            "the call's own queue",
            ExitTarget::Queue(Q1),
            Some(Input::QueueFound {
                queue: Some(queue(Q1, None, Duration::ZERO)),
                next: C2,
            }),
        ),
        (
            "a callback that was not stored",
            ExitTarget::Callback,
            Some(Input::CallbackStored { callback: None }),
        ),
        (
            "a number (no dialling out yet)",
            ExitTarget::Number("5550000".into()),
            None,
        ),
    ];
    for (what, target, answer) in table {
        let (mut flow, _) = answered_into(queue(Q1, Some(target.clone()), Duration::ZERO));
        flow.handle(
            t(60),
            Input::Redirect {
                call: C1,
                target: target.clone(),
            },
        );
        if let Some(answer) = answer {
            drain(&mut flow);
            flow.handle(t(60), answer);
        }
        let actions = drain(&mut flow);
        assert!(counts(&actions).contains(&Count::ExitFailures), "{what}");
        assert_eq!(
            moves(&actions).last(),
            Some(&Action::Goodbye(Prompt::Goodbye)),
            "{what}"
        );
        // The goodbye prompt has a limit: the call ends even if it never
        // reports its end.
        flow.handle_timeout(t(60) + PROMPT_LIMIT);
        assert!(
            moves(&drain(&mut flow)).contains(&Action::ByeCaller),
            "{what}"
        );
    }
}

#[test]
fn the_queue_timeout_moves_the_caller_under_a_new_record() {
    let q2 = queue(Q2, None, Duration::ZERO);
    let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Queue(Q2)), Duration::ZERO));
    offer(&mut flow, t(50), A1, false);
    flow.handle(
        t(60),
        Input::Record {
            call: C1,
            event: CallEvent::QueueTimeout {
                target: "queue-2".into(),
            },
        },
    );
    flow.handle(
        t(60),
        Input::Redirect {
            call: C1,
            target: ExitTarget::Queue(Q2),
        },
    );
    let redirect = drain(&mut flow);
    assert_eq!(
        moves(&redirect),
        vec![Action::HangUpAgent { agent: A1 }, Action::LookupQueue(Q2)]
    );
    flow.handle(
        t(60),
        Input::QueueFound {
            queue: Some(q2.clone()),
            next: C2,
        },
    );
    let moved = drain(&mut flow);
    let done = completed(&moved);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].interaction_id.0, C1.0);
    assert_eq!(
        done[0].disposition,
        Some(Disposition::RedirectedByQueueTimeout)
    );
    assert_eq!(
        moves(&moved),
        vec![
            Action::Listen(C2),
            Action::Forget(C1),
            Action::PlayHoldMusic { queue: q2 },
            Action::Dispatch(acd::Event::CallArrived {
                call: C2,
                queue: Q2
            }),
        ]
    );
    assert_eq!(flow.id(), C2);
    assert_eq!(flow.record().queue, Some(Q2));
    // Dispatch's inputs for the first record are stale now.
    flow.handle(
        t(61),
        Input::Announce {
            call: C1,
            position: Some(1),
            estimated_wait: None,
            queue_exit: false,
        },
    );
    assert!(drain(&mut flow).is_empty());
}

#[test]
fn the_queue_timeout_hands_the_caller_to_voicemail_then_says_it_was_saved() {
    use crate::call::voicemail::deposit::Ending;
    let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Voicemail(7)), Duration::ZERO));
    offer(&mut flow, t(50), A1, false);
    flow.handle(
        t(60),
        Input::Record {
            call: C1,
            event: CallEvent::QueueTimeout {
                target: "voicemail-7".into(),
            },
        },
    );
    flow.handle(
        t(60),
        Input::Redirect {
            call: C1,
            target: ExitTarget::Voicemail(7),
        },
    );
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![
            Action::HangUpAgent { agent: A1 },
            Action::LeaveVoicemail {
                voicemail: 7,
                interaction: C1.0
            }
        ]
    );
    // Keys are the message's now, not the queue's.
    flow.handle(t(61), Input::Digit('1'));
    assert!(moves(&drain(&mut flow)).is_empty());
    flow.handle(
        t(90),
        Input::VoicemailOver {
            ending: Some(Ending::Saved),
        },
    );
    assert_eq!(
        moves(&drain(&mut flow)),
        vec![Action::Goodbye(Prompt::VoicemailSaved)]
    );
    flow.handle(t(93), Input::PlaybackDone(Playback::Goodbye));
    let ended = drain(&mut flow);
    assert!(moves(&ended).contains(&Action::ByeCaller));
    let done = completed(&ended);
    assert_eq!(
        done[0].disposition,
        Some(Disposition::RedirectedByQueueTimeout)
    );
}

#[test]
fn a_missing_voicemail_box_falls_back_to_the_goodbye_and_a_hang_up_ends_the_message() {
    let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Voicemail(7)), Duration::ZERO));
    let redirect = Input::Redirect {
        call: C1,
        target: ExitTarget::Voicemail(7),
    };
    flow.handle(t(60), redirect.clone());
    drain(&mut flow);
    flow.handle(t(60), Input::VoicemailOver { ending: None });
    assert_eq!(
        drain(&mut flow),
        vec![
            Action::Count(Count::ExitFailures),
            Action::Goodbye(Prompt::Goodbye)
        ]
    );

    let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Voicemail(7)), Duration::ZERO));
    flow.handle(t(60), redirect);
    drain(&mut flow);
    flow.handle(t(70), Input::CallerHungUp);
    let ended = moves(&drain(&mut flow));
    assert!(ended.contains(&Action::CloseCaller), "{ended:?}");
    assert!(!ended.contains(&Action::ByeCaller), "{ended:?}");
}

#[test]
fn the_queue_timeout_hands_the_connected_caller_to_a_menu_and_completes_the_record() {
    let (mut flow, _) = answered_into(queue(Q1, Some(ExitTarget::Menu(4)), Duration::ZERO));
    offer(&mut flow, t(50), A1, false);
    flow.handle(
        t(60),
        Input::Record {
            call: C1,
            event: CallEvent::QueueTimeout {
                target: "menu-4".into(),
            },
        },
    );
    flow.handle(
        t(60),
        Input::Redirect {
            call: C1,
            target: ExitTarget::Menu(4),
        },
    );
    let handed = drain(&mut flow);
    let acts = moves(&handed);
    // The ringing agent is let go and the caller is not hung up: the menu
    // takes them on, and the queue's record is complete.
    assert!(
        acts.contains(&Action::HangUpAgent { agent: A1 }),
        "{acts:?}"
    );
    assert!(acts.contains(&Action::EnterMenu { menu: 4 }), "{acts:?}");
    assert!(!acts.contains(&Action::ByeCaller), "{acts:?}");
    assert!(!acts.contains(&Action::CloseCaller), "{acts:?}");
    assert_eq!(acts.last(), Some(&Action::Finished), "{acts:?}");
    let done = completed(&handed);
    assert_eq!(
        done[0].disposition,
        Some(Disposition::RedirectedByQueueTimeout)
    );
    assert_eq!(done[0].terminate_side, Some(TerminateSide::System));
    // Nothing the queue hears afterwards reaches the caller.
    flow.handle(t(61), Input::Digit('1'));
    assert!(drain(&mut flow).is_empty());
}
