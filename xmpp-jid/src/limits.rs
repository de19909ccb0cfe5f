//! The size limits on addresses: [`MAX_PART_LEN`] (RFC 6122) and [`MAX_INPUT_LEN`] (ours).

/// The largest node, domain or resource, in bytes after preparation (RFC 6122 §2.2–2.4).
pub const MAX_PART_LEN: usize = 1023;

/// The longest input accepted, in bytes, before preparation: four times the longest prepared
/// JID (3 × 1023 + 2 bytes). Preparation can shrink a string (table B.1 maps characters to
/// nothing), so this is a resource limit rather than an RFC rule; it keeps the work for one
/// address bounded whatever a peer sends.
pub const MAX_INPUT_LEN: usize = 4 * (3 * MAX_PART_LEN + 2);
