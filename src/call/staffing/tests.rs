//! The staffing policy as tables: time, input (or the clock), and the actions
//! the dispatch task must then carry out.

use super::*;

const A1: AgentId = AgentId(1);
const A2: AgentId = AgentId(2);

fn t(secs: u64) -> Millis {
    Millis(secs * 1000)
}

fn reg(agent: AgentId, contacts: usize) -> Option<Input> {
    Some(Input::Registered { agent, contacts })
}

fn socket(agent: AgentId, open: bool) -> Option<Input> {
    Some(Input::Socket { agent, open })
}

fn panel_login(agent: AgentId) -> Option<Input> {
    Some(Input::PanelLogin { agent })
}

fn panel_logout(agent: AgentId) -> Option<Input> {
    Some(Input::PanelLogout { agent })
}

fn reassigned(agent: AgentId, contacts: usize) -> Option<Input> {
    Some(Input::Reassigned { agent, contacts })
}

fn log_in(agent: AgentId) -> Action {
    Action::LogIn { agent }
}

fn log_out(agent: AgentId, reason: LogoutReason) -> Action {
    Action::LogOut { agent, reason }
}

/// The clock alone: `handle_timeout` when the core's deadline has come.
const CLOCK: Option<Input> = None;

/// Feeds each row and checks the actions it produced, in order. A clock row
/// also checks that the core asked to be woken by then.
fn flow(rows: Vec<(Millis, Option<Input>, Vec<Action>)>) -> Staffing {
    let mut s = Staffing::default();
    for (i, (now, input, expected)) in rows.into_iter().enumerate() {
        match input {
            Some(input) => s.handle(now, input),
            None => {
                if !expected.is_empty() {
                    assert!(
                        s.poll_timeout().is_some_and(|at| at <= now),
                        "row {i}: the core did not ask to be woken by {now:?}"
                    );
                }
                s.handle_timeout(now)
            }
        }
        let actions: Vec<Action> = std::iter::from_fn(|| s.poll_action()).collect();
        assert_eq!(actions, expected, "row {i} at {now:?}");
    }
    s
}

#[test]
fn a_desk_phone_agent_works_while_registered() {
    use LogoutReason::*;
    #[rustfmt::skip]
    flow(vec![
        (t(0),  reg(A1, 1),  vec![log_in(A1)]),
        // A second phone, then one goes: still working, no second login.
        (t(5),  reg(A1, 2),  vec![]),
        (t(6),  reg(A1, 1),  vec![]),
        (t(9),  reg(A1, 0),  vec![log_out(A1, Unregistered)]),
        (t(10), reg(A1, 0),  vec![]),
        (t(60), CLOCK,       vec![]),
        (t(70), reg(A1, 1),  vec![log_in(A1)]),
    ]);
}

#[test]
fn a_refused_login_is_tried_again_at_the_next_registration() {
    let mut s = flow(vec![(t(0), reg(A1, 1), vec![log_in(A1)])]);
    s.handle(t(0), Input::LoginRefused { agent: A1 });
    s.handle(
        t(30),
        Input::Registered {
            agent: A1,
            contacts: 1,
        },
    );
    assert_eq!(s.poll_action(), Some(log_in(A1)));
}

#[test]
fn a_panel_reload_keeps_the_agent_working() {
    #[rustfmt::skip]
    let s = flow(vec![
        (t(0),  reg(A1, 1),       vec![log_in(A1)]),
        (t(1),  panel_login(A1),  vec![]),
        (t(1),  socket(A1, true), vec![]),
        // The reload: the page's socket and the browser's registration go...
        (t(20), socket(A1, false), vec![]),
        (t(20), reg(A1, 0),       vec![]),
        // ... and come back within the grace period.
        (t(23), reg(A1, 1),       vec![]),
        (t(24), socket(A1, true), vec![]),
        (t(80), CLOCK,            vec![]),
    ]);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_panel_agent_whose_browser_is_gone_is_logged_out_after_the_grace_period() {
    use LogoutReason::*;
    #[rustfmt::skip]
    let s = flow(vec![
        (t(0),  panel_login(A1),   vec![]),
        (t(0),  socket(A1, true),  vec![]),
        (t(1),  reg(A1, 1),        vec![]),
        (t(10), socket(A1, false), vec![]),
        // Still registered: the phone keeps them in.
        (t(50), CLOCK,             vec![]),
        (t(60), reg(A1, 0),        vec![]),
        (t(89), CLOCK,             vec![]),
        (t(90), CLOCK,             vec![log_out(A1, PanelGone)]),
        (t(91), reg(A1, 1),        vec![log_in(A1)]),
    ]);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn the_grace_period_is_each_agents_own() {
    use LogoutReason::*;
    let mut s = flow(vec![
        (t(0), panel_login(A1), vec![]),
        (t(10), panel_login(A2), vec![]),
    ]);
    assert_eq!(s.poll_timeout(), Some(t(30)));
    s.handle_timeout(t(30));
    assert_eq!(s.poll_action(), Some(log_out(A1, PanelGone)));
    assert_eq!(s.poll_action(), None);
    assert_eq!(s.poll_timeout(), Some(t(40)));
    s.handle_timeout(t(40));
    assert_eq!(s.poll_action(), Some(log_out(A2, PanelGone)));
}

#[test]
fn a_panel_logout_keeps_a_registered_browser_out_until_its_last_contact_goes() {
    use LogoutReason::*;
    #[rustfmt::skip]
    flow(vec![
        (t(0),  reg(A1, 1),          vec![log_in(A1)]),
        (t(1),  panel_login(A1),     vec![]),
        (t(5),  panel_logout(A1),    vec![log_out(A1, Panel)]),
        // The browser stays registered: no login by registration.
        (t(6),  reg(A1, 2),          vec![]),
        (t(7),  reassigned(A1, 2),   vec![]),
        (t(8),  reg(A1, 0),          vec![]),
        // Then a desk phone registers: it works by registration again.
        (t(9),  reg(A1, 1),          vec![log_in(A1)]),
    ]);
}

#[test]
fn a_desk_phone_agent_may_log_out_through_the_panel() {
    use LogoutReason::*;
    #[rustfmt::skip]
    flow(vec![
        (t(0), reg(A1, 1),       vec![log_in(A1)]),
        (t(5), panel_logout(A1), vec![log_out(A1, Panel)]),
        (t(6), panel_logout(A1), vec![]),
    ]);
}

#[test]
fn a_new_assignment_logs_in_or_rejoins_registered_agents_only() {
    use LogoutReason::*;
    let refused = Some(Input::LoginRefused { agent: A2 });
    #[rustfmt::skip]
    flow(vec![
        (t(0), reassigned(A1, 0), vec![]),
        (t(1), reg(A1, 1),        vec![log_in(A1)]),
        (t(2), reassigned(A1, 1), vec![Action::Rejoin { agent: A1 }]),
        // An extension that was registered before it became an agent's.
        (t(3), reassigned(A2, 1), vec![log_in(A2)]),
        (t(3), refused,           vec![]),
        (t(4), reassigned(A2, 1), vec![log_in(A2)]),
        (t(5), panel_login(A2),   vec![]),
        (t(6), reassigned(A2, 1), vec![]),
        // A lapse the reload noticed first.
        (t(7), reassigned(A1, 0), vec![log_out(A1, Unregistered)]),
    ]);
}

#[test]
fn sockets_are_counted_so_one_closing_tab_of_two_keeps_the_agent() {
    #[rustfmt::skip]
    let s = flow(vec![
        (t(0),  panel_login(A1),   vec![]),
        (t(0),  socket(A1, true),  vec![]),
        (t(0),  socket(A1, true),  vec![]),
        (t(1),  socket(A1, false), vec![]),
        (t(60), CLOCK,             vec![]),
    ]);
    assert_eq!(s.poll_timeout(), None);
}
