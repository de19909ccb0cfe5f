//! The XEP payloads the DoD UCR 2008 and NATO BCS profiles require.

pub mod caps;
pub mod chatstates;
pub mod datetime;
pub mod delay;
pub mod disco;
pub mod forms;
pub mod forward;
pub mod ping;
pub mod seclabel;
pub mod time;
pub mod version;
