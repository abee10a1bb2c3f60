//! When the follow-ups result codes schedule fall due, as a sans-IO core:
//! [`Schedule`] holds the pending follow-ups by due moment and takes the
//! time with every call; it reads no clock and owns no timer. Its shell
//! ([`super::follow_up_service`]) stores each follow-up, feeds the core,
//! sleeps until [`Schedule::poll_timeout`], and pushes what falls due to
//! the agent panels. Rules:
//! - A follow-up falls due at its moment, once; one already overdue (added
//!   late, or left pending while the server was down) falls due at the next
//!   timeout.
//! - Rescheduling a follow-up moves it; removing one (done, dismissed, or
//!   replaced by a later result) means it never falls due.
//! - Follow-ups due at the same moment fall due in the order of their ids.

use std::collections::{BTreeSet, HashMap};

use crate::acd::Millis;

/// Pending follow-ups by due moment.
#[derive(Debug, Default)]
pub struct Schedule {
    by_due: BTreeSet<(Millis, i64)>,
    due_of: HashMap<i64, Millis>,
}

impl Schedule {
    /// Schedules follow-up `id` at `due` (moving it if it was scheduled).
    pub fn add(&mut self, id: i64, due: Millis) {
        self.remove(id);
        self.by_due.insert((due, id));
        self.due_of.insert(id, due);
    }

    /// Forgets follow-up `id`; false when it was not scheduled.
    pub fn remove(&mut self, id: i64) -> bool {
        match self.due_of.remove(&id) {
            Some(due) => self.by_due.remove(&(due, id)),
            None => false,
        }
    }

    /// When [`Schedule::handle_timeout`] has something to give.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.by_due.first().map(|(due, _)| *due)
    }

    /// The follow-ups due at `now` (no longer scheduled), in order.
    pub fn handle_timeout(&mut self, now: Millis) -> Vec<i64> {
        let mut due = Vec::new();
        while let Some(&(at, id)) = self.by_due.first() {
            if at > now {
                break;
            }
            self.by_due.pop_first();
            self.due_of.remove(&id);
            due.push(id);
        }
        due
    }

    pub fn len(&self) -> usize {
        self.due_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.due_of.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> Millis {
        Millis::from_secs(s)
    }

    #[test]
    fn follow_ups_fall_due_once_in_order_of_their_moments() {
        let mut s = Schedule::default();
        assert_eq!(s.poll_timeout(), None);
        s.add(3, t(30));
        s.add(1, t(10));
        s.add(2, t(10));
        assert_eq!(s.poll_timeout(), Some(t(10)));
        assert_eq!(s.handle_timeout(t(9)), Vec::<i64>::new());
        assert_eq!(s.handle_timeout(t(10)), [1, 2]);
        assert_eq!(s.handle_timeout(t(10)), Vec::<i64>::new(), "once");
        assert_eq!(s.poll_timeout(), Some(t(30)));
        assert_eq!(s.handle_timeout(t(100)), [3], "late is still due");
        assert!(s.is_empty());
        assert_eq!(s.poll_timeout(), None);
    }

    #[test]
    fn a_moved_or_removed_follow_up_falls_due_as_it_now_says() {
        let mut s = Schedule::default();
        s.add(1, t(10));
        s.add(2, t(20));
        s.add(1, t(40));
        assert_eq!(s.len(), 2);
        assert_eq!(s.handle_timeout(t(30)), [2], "1 was moved");
        assert!(s.remove(1));
        assert!(!s.remove(1));
        assert_eq!(s.handle_timeout(t(50)), Vec::<i64>::new());
    }

    #[test]
    fn an_overdue_follow_up_falls_due_at_the_next_timeout() {
        let mut s = Schedule::default();
        s.add(7, t(5));
        assert_eq!(s.poll_timeout(), Some(t(5)));
        assert_eq!(s.handle_timeout(t(1_000)), [7]);
    }
}
