//! Whole call flows as tables: time, input, and the actions call control must
//! then perform. Each reads like the sequence diagram of the scenario.

use super::*;

#[test]
fn missed_offer_goes_round_the_agents_and_back() {
    let mut q = queue(SALES);
    q.strategy = StrategyKind::Sequential;
    q.after_call_work = secs(20);
    let mut r = Rig::new(vec![q]);
    #[rustfmt::skip]
    flow(&mut r, vec![
        (t(0),  login(A1, &[SALES]),  vec![]),
        (t(0),  login(A2, &[SALES]),  vec![]),
        (t(1),  arrive(c(1), SALES),  vec![offer(c(1), A1)]),
        (t(16), CLOCK,                vec![cancel(c(1), A1), offer(c(1), A2)]),
        (t(18), Some(Event::OfferRejected { call: c(1), agent: A2 }), vec![]),
        (t(25), CLOCK,                vec![]),
        (t(26), CLOCK,                vec![offer(c(1), A1)]),
        (t(30), answer(c(1), A1),     vec![]),
        (t(90), hangup(c(1)),         vec![]),
        (t(95), arrive(c(2), SALES),  vec![offer(c(2), A2)]),
        (t(96), arrive(c(3), SALES),  vec![]),
        (t(97), answer(c(2), A2),     vec![]),
        (t(110), CLOCK,               vec![offer(c(3), A1)]),
    ]);
}

#[test]
fn waiting_caller_hears_the_queue_and_leaves_for_the_exit_target() {
    let mut q = queue(SALES);
    q.announcements = AnnouncementMode::Both;
    q.announce_every = secs(20);
    q.expected_handle_time = secs(100);
    q.queue_timeout = Some((secs(50), ExitTarget::Number("200".into())));
    let mut r = Rig::new(vec![q]);
    let announce = |call, position, wait| Action::Announce {
        call,
        position: Some(position),
        estimated_wait: Some(secs(wait)),
        queue_exit: true,
    };
    #[rustfmt::skip]
    flow(&mut r, vec![
        (t(0),  login(A1, &[SALES]),  vec![]),
        (t(0),  arrive(c(1), SALES),  vec![offer(c(1), A1)]),
        (t(1),  answer(c(1), A1),     vec![]),
        (t(2),  arrive(c(2), SALES),  vec![]),
        (t(3),  arrive(c(3), SALES),  vec![]),
        (t(22), CLOCK,                vec![announce(c(2), 1, 100)]),
        (t(23), CLOCK,                vec![announce(c(3), 2, 200)]),
        (t(30), Some(Event::QueueExit { call: c(2) }), vec![]),
        (t(43), CLOCK,                vec![announce(c(3), 1, 100)]),
        (t(53), CLOCK,                vec![Action::Redirect {
                                          call: c(3),
                                          target: ExitTarget::Number("200".into()),
                                      }]),
        (t(80), hangup(c(1)),         vec![]),
    ]);
    let m = r.metrics(SALES, t(80));
    assert_eq!(
        (
            m.counters.answered,
            m.counters.queue_exits,
            m.counters.redirected
        ),
        (1, 1, 1)
    );
}

#[test]
fn text_agent_takes_three_chats_and_wraps_each_up() {
    let mut chat = QueueConfig::new(CHAT, P);
    chat.channel = Channel::Text { weight: 33 };
    chat.after_call_work = secs(10);
    let mut r = Rig::new(vec![chat]);
    #[rustfmt::skip]
    flow(&mut r, vec![
        (t(0),  login(A1, &[CHAT]),   vec![]),
        (t(1),  arrive(c(1), CHAT),   vec![offer(c(1), A1)]),
        (t(2),  arrive(c(2), CHAT),   vec![offer(c(2), A1)]),
        (t(3),  arrive(c(3), CHAT),   vec![offer(c(3), A1)]),
        (t(4),  arrive(c(4), CHAT),   vec![]),
        (t(5),  answer(c(1), A1),     vec![]),
        (t(5),  answer(c(2), A1),     vec![]),
        (t(5),  answer(c(3), A1),     vec![]),
        (t(60), hangup(c(1)),         vec![]),
        (t(69), CLOCK,                vec![]),
        (t(70), CLOCK,                vec![offer(c(4), A1)]),
    ]);
}

/// The example at the top of the module, kept compiling and true here too.
#[test]
fn the_module_example_holds() {
    use crate::acd::*;
    use std::time::Duration;

    let (sales, p, avail) = (QueueId(1), ProjectId(1), StatusId(1));
    let mut acd = Engine::new(Config {
        projects: vec![ProjectConfig::new(p)],
        statuses: vec![StatusConfig {
            id: avail,
            name: "Available".into(),
            category: Category::Available,
            transferable: false,
        }],
        queues: vec![QueueConfig::new(sales, p)],
        ..Config::default()
    });
    let t0 = Millis::ZERO;
    acd.handle(
        t0,
        Event::AgentLogin {
            agent: AgentId(1),
            project: p,
            status: avail,
            queues: vec![sales],
        },
    )
    .unwrap();
    acd.handle(
        t0,
        Event::CallArrived {
            call: CallId(7),
            queue: sales,
        },
    )
    .unwrap();
    assert_eq!(
        acd.poll_action(),
        Some(Action::Offer {
            call: CallId(7),
            agent: AgentId(1),
            ring_for: Duration::from_secs(15),
            auto_answer: false
        })
    );
}
