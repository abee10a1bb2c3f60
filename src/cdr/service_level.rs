//! Service level over a set of interaction records.
//!
//! Service level is the share of the calls that waited in a queue which were
//! answered within that queue's service level. Calls that never waited in a
//! queue, failed or were interrupted are not counted (their
//! [`Classification`] says so). Short abandons, callers who gave up within the
//! short-abandon time, are counted or left out as the report asks
//! ([`ShortAbandons`]); both figures come from the same stored records.

use super::record::{Classification, InteractionRecord};

/// Whether short abandons count towards the calls offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShortAbandons {
    Included,
    Excluded,
}

/// The tally behind a service-level figure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceLevel {
    /// Answered within the service level.
    pub within: u64,
    /// The calls the figure is taken over: answered, abandoned (short ones
    /// only when included) and redirected by the queue timeout.
    pub counted: u64,
}

impl ServiceLevel {
    /// Tallies `records` (open ones have no classification and are skipped).
    pub fn of<'a>(
        records: impl IntoIterator<Item = &'a InteractionRecord>,
        short_abandons: ShortAbandons,
    ) -> ServiceLevel {
        let mut level = ServiceLevel::default();
        for record in records {
            if let Some(classification) = record.classification {
                level.add(classification, short_abandons);
            }
        }
        level
    }

    /// Counts one record of `classification`.
    pub fn add(&mut self, classification: Classification, short_abandons: ShortAbandons) {
        match classification {
            Classification::AnsweredWithinServiceLevel => {
                self.within += 1;
                self.counted += 1;
            }
            Classification::AnsweredOutsideServiceLevel
            | Classification::Abandoned
            | Classification::Redirected => self.counted += 1,
            Classification::ShortAbandon => {
                if short_abandons == ShortAbandons::Included {
                    self.counted += 1;
                }
            }
            Classification::NotCounted => {}
        }
    }

    /// The share answered within the service level, from 0 to 1; `None` when
    /// no call counts.
    pub fn ratio(&self) -> Option<f64> {
        (self.counted > 0).then(|| self.within as f64 / self.counted as f64)
    }
}
