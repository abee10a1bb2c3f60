//! Which projects this node serves. A node alone serves every project; a
//! node of several serves the projects whose lease it holds (the server's
//! lease loop keeps the set), and refuses new calls for the others, which
//! the SIP edge sends to their owners.

use std::collections::HashSet;
use std::sync::RwLock;

use crate::acd::ProjectId;

#[derive(Debug)]
pub struct Ownership(Option<RwLock<HashSet<ProjectId>>>);

impl Ownership {
    /// A node alone: every project is its own.
    pub fn alone() -> Ownership {
        Ownership(None)
    }

    /// A node of several, serving nothing until it holds a lease.
    pub fn shared() -> Ownership {
        Ownership(Some(RwLock::default()))
    }

    /// Whether this node takes new calls for `project`.
    pub fn owns(&self, project: ProjectId) -> bool {
        match &self.0 {
            None => true,
            Some(set) => set
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&project),
        }
    }

    /// Replaces the projects served; returns those gained and those lost.
    pub fn set(&self, projects: HashSet<ProjectId>) -> (Vec<ProjectId>, Vec<ProjectId>) {
        let Some(set) = &self.0 else {
            return (Vec::new(), Vec::new());
        };
        let mut held = set.write().unwrap_or_else(|e| e.into_inner());
        let mut gained: Vec<ProjectId> = projects.difference(&held).copied().collect();
        let mut lost: Vec<ProjectId> = held.difference(&projects).copied().collect();
        gained.sort_unstable();
        lost.sort_unstable();
        *held = projects;
        (gained, lost)
    }

    /// The projects served, by id; `None` for a node alone (all of them).
    pub fn projects(&self) -> Option<Vec<ProjectId>> {
        let set = self.0.as_ref()?;
        let mut out: Vec<ProjectId> = set
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect();
        out.sort_unstable();
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_alone_serves_every_project_and_a_shared_one_what_it_holds() {
        assert!(Ownership::alone().owns(ProjectId(7)));
        let shared = Ownership::shared();
        assert!(!shared.owns(ProjectId(7)));
        let (gained, lost) = shared.set([ProjectId(7), ProjectId(2)].into());
        assert_eq!((gained, lost), (vec![ProjectId(2), ProjectId(7)], vec![]));
        assert!(shared.owns(ProjectId(7)));
        let (gained, lost) = shared.set([ProjectId(2), ProjectId(3)].into());
        assert_eq!((gained, lost), (vec![ProjectId(3)], vec![ProjectId(7)]));
        assert!(!shared.owns(ProjectId(7)));
        assert_eq!(shared.projects(), Some(vec![ProjectId(2), ProjectId(3)]));
    }
}
