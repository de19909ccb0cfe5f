//! Sans-IO XMPP streams. Under construction: see the README feature table.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod component;
pub mod header;
pub mod profile;
pub mod resolve;
pub mod stream_error;
pub mod tls;
pub mod xml;
