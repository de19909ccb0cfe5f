//! Sans-IO XMPP streams. Under construction: see the README feature table.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[allow(dead_code)] // Used by the connection machine (in progress).
mod auth;
pub mod bind;
pub mod component;
pub mod features;
pub mod header;
pub mod profile;
pub mod resolve;
pub mod stream_error;
pub mod tls;
pub mod xml;
