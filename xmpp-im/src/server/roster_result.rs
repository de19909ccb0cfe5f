//! [`RosterResult`]: the answer to a roster get, full or incremental (RFC 6121 §2.6.3).

use crate::roster::{RosterContact, RosterPush, RosterVersion};

/// The answer to a roster get.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RosterResult {
    /// An IQ result carrying the whole roster (UCR-ROSTER-14), with its version when versioning
    /// is on.
    Full {
        /// The `ver` of the result's query.
        ver: Option<RosterVersion>,
        /// One item per contact in the roster.
        items: Vec<RosterContact>,
    },
    /// RFC 6121 §2.6.3: the client's version is known. Answer with an empty IQ result, then send
    /// these pushes to the requesting resource, oldest first (none when it is up to date).
    Incremental {
        /// The roster's current version.
        ver: RosterVersion,
        /// The changes the client missed, one per contact.
        pushes: Vec<RosterPush>,
    },
}
