//! Benchmarks for the workspace live under `benches/benches/`; this library holds the inputs they
//! share, so every benchmark measures the same bytes against every implementation.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod xml_corpus;
