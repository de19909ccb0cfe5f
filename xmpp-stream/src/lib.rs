//! Sans-IO XMPP streams. Under construction: see the README feature table.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
