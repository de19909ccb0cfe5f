//! XMPP addresses (JIDs) per RFC 6122: parsing, exact preparation and comparison.
//!
//! ```
//! use std::collections::HashMap;
//! use xmpp_jid::{BareJid, FullJid, Jid, JidError};
//!
//! // Parsing prepares every part: Nodeprep folds the node's case, Nameprep and IDNA check the
//! // domain (and drop its trailing dot), Resourceprep keeps the resource's case.
//! let full: FullJid = "Juliet@Capulet.Example./Balcony".parse()?;
//! assert_eq!(full.to_string(), "juliet@capulet.example/Balcony");
//! assert_eq!(full.node(), Some("juliet"));
//! assert_eq!(full.domain(), "capulet.example");
//! assert_eq!(full.resource(), "Balcony");
//!
//! // Cheap conversions between the three types; a map keyed by one type is queried with a &Jid.
//! let bare: BareJid = full.to_bare();
//! let mut rosters: HashMap<BareJid, &str> = HashMap::new();
//! rosters.insert(bare.clone(), "Juliet's roster");
//! let any: Jid = "JULIET@capulet.example".parse()?;
//! assert_eq!(rosters.get(&any), Some(&"Juliet's roster"));
//!
//! // Errors say which part failed and why.
//! let err = "romeo@montague.example/".parse::<Jid>().unwrap_err();
//! assert_eq!(err, JidError::Empty(xmpp_jid::Part::Resource));
//! assert_eq!(err.to_string(), "the resource is empty");
//! # Ok::<(), JidError>(())
//! ```
//!
//! # Types
//!
//! - [`Jid`]: any address, `[node@]domain[/resource]`. [`BareJid`] has no resource, [`FullJid`]
//!   has one; both convert to and from [`Jid`] without copying, dereference to it, and
//!   [`Borrow`](core::borrow::Borrow) as it.
//! - [`NodePart`], [`DomainPart`], [`ResourcePart`]: one prepared part, borrowed from a JID or
//!   validated on its own (`NodePart::new`), for building addresses with
//!   [`Jid::from_parts`] and [`Jid::with_resource`] without re-checking.
//! - [`JidError`]: the one error type; [`Part`] names the part that failed.
//! - [`escape`]: XEP-0106 escaping of node parts.
//!
//! # Preparation (RFC 6122 §2)
//!
//! - The first `/` ends the domain (the resource may contain `/` and `@`), and the first `@`
//!   before it ends the node. Each part present must be non-empty: `@example.com`,
//!   `example.com/` and `a@/r` are errors.
//! - Node: Nodeprep. Resource: Resourceprep. Domain: one trailing dot (`.` or an IDNA dot) is
//!   removed; an IPv4 literal or a bracketed IPv6 literal is kept as given; otherwise every
//!   label goes through Nameprep and must pass IDNA2003 ToASCII with STD3 rules.
//! - The stringprep tables are Unicode 3.2's: characters unassigned in 3.2 are refused (these
//!   are *stored strings* in the sense of RFC 3454 §7; we apply the same rule to every
//!   address, including those only used in queries). See the `prep` module notes on why the
//!   profiles are composed here from the `stringprep` crate's tables.
//! - Each part is 1 to 1023 bytes **after** preparation. Inputs longer than
//!   [`MAX_INPUT_LEN`] are refused before any preparation, which bounds the work per address.
//! - Domains are stored with internationalized labels as U-labels (the form RFC 6122 puts on
//!   the wire); ACE input (`xn--...`) is converted with ToUnicode, so both spellings of an IDN
//!   give equal JIDs. [`DomainPart::to_ascii`] gives the A-label form for DNS.
//!
//! # Cost
//!
//! A JID is one heap string plus two `u16` offsets. Input that is already prepared ASCII is
//! recognised by table scans (one pass per part, no stringprep) and stored with one exactly
//! sized allocation (none with `Jid::try_from(String)`); ASCII input that only needs
//! lower-casing is also handled without stringprep. Other input goes through the full profiles,
//! writing into the JID's buffer. Unit tests check with proptest that the fast paths give
//! exactly what the full profiles give. `BENCHMARKS.md` compares the cost with the `jid` crate.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ascii;
mod domain;
mod error;
pub mod escape;
mod jid;
mod limits;
mod parts;
mod prep;
#[cfg(feature = "serde")]
mod serde;

pub use error::{BidiViolation, CodePoint, JidError, LabelError, Part, Prohibition};
pub use jid::{BareJid, FullJid, Jid};
pub use limits::{MAX_INPUT_LEN, MAX_PART_LEN};
pub use parts::{DomainPart, NodePart, ResourcePart};
