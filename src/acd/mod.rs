//! Placeholder module root; filled by its own issue.
