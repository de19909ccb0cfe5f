//! XMPP addresses (RFC 6122). Under construction: see the README feature table.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
