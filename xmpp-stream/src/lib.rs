//! Sans-IO XMPP streams. Under construction: see the README feature table.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
pub mod bind;
pub mod component;
pub mod connection;
pub mod features;
mod framing;
pub mod header;
pub mod profile;
pub mod resolve;
pub mod stream_error;
pub mod tls;
pub mod xml;
