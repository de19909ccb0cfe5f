//! Typed XMPP stanzas. Not implemented yet: this crate has no API so far (see the README feature table).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
