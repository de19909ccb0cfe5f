//! Connection resolution plans (RFC 6120 §3.2, RFC 2782, XEP-0368) as pure data.
//!
//! This module owns the decision of *where to connect*, never the lookups themselves: an
//! adapter asks DNS for the SRV owner names given by [`srv_owner_name`], hands the answers in
//! as [`SrvAnswers`], and executes the ordered [`Attempt`]s of the resulting
//! [`ResolutionPlan`] (resolving each host to A/AAAA addresses and trying them in turn).
//!
//! Ordering follows RFC 2782: records sort by ascending priority, and within one priority
//! the order is a weighted random shuffle whose randomness is handed in by the caller, so
//! tests are deterministic. STARTTLS (`_xmpp-client._tcp`) and Direct TLS
//! (`_xmpps-client._tcp`, XEP-0368) records are merged into one list; on equal priority the
//! weighted shuffle treats them alike.
//!
//! ```
//! use xmpp_stream::resolve::{plan, ServiceKind, SrvAnswers, SrvRecord, PlanSource};
//! # struct Zero; impl rand_core::RngCore for Zero {
//! #   fn next_u32(&mut self) -> u32 { 0 } fn next_u64(&mut self) -> u64 { 0 }
//! #   fn fill_bytes(&mut self, d: &mut [u8]) { d.fill(0) }
//! #   fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), rand_core::Error> { d.fill(0); Ok(()) } }
//! let answers = SrvAnswers {
//!     starttls: Some(vec![SrvRecord::new(10, 0, 5222, "xmpp.example.com.")]),
//!     direct_tls: None,
//! };
//! let p = plan("example.com", ServiceKind::Client, &answers, &mut Zero);
//! assert_eq!(p.source(), PlanSource::Srv);
//! assert_eq!(p.attempts()[0].host, "xmpp.example.com");
//! assert_eq!(p.attempts()[0].port, 5222);
//! assert!(!p.attempts()[0].direct_tls);
//! ```

use rand_core::RngCore;

/// The IANA port for client-to-server streams (`xmpp-client`), used by the A/AAAA fallback.
pub const CLIENT_PORT: u16 = 5222;
/// The IANA port for server-to-server streams (`xmpp-server`), used by the A/AAAA fallback.
pub const SERVER_PORT: u16 = 5269;

/// Which XMPP service is being located.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceKind {
    /// Client-to-server (`_xmpp-client._tcp`, `_xmpps-client._tcp`, port 5222).
    Client,
    /// Server-to-server (`_xmpp-server._tcp`, `_xmpps-server._tcp`, port 5269).
    Server,
}

impl ServiceKind {
    /// The fallback port when no SRV records exist (5222 or 5269).
    pub fn default_port(self) -> u16 {
        match self {
            ServiceKind::Client => CLIENT_PORT,
            ServiceKind::Server => SERVER_PORT,
        }
    }

    /// The SRV service label, e.g. `_xmpp-client` or (Direct TLS) `_xmpps-client`.
    pub fn service_label(self, direct_tls: bool) -> &'static str {
        match (self, direct_tls) {
            (ServiceKind::Client, false) => "_xmpp-client",
            (ServiceKind::Client, true) => "_xmpps-client",
            (ServiceKind::Server, false) => "_xmpp-server",
            (ServiceKind::Server, true) => "_xmpps-server",
        }
    }
}

/// The fully qualified SRV owner name to query, with its trailing dot
/// (`_xmpp-client._tcp.example.com.`). A trailing dot on `domain` is not doubled.
///
/// `domain` is expected in its ASCII (A-label) form, as DNS needs it.
pub fn srv_owner_name(domain: &str, kind: ServiceKind, direct_tls: bool) -> String {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    let label = kind.service_label(direct_tls);
    let mut name = String::with_capacity(label.len() + domain.len() + 7);
    name.push_str(label);
    name.push_str("._tcp.");
    name.push_str(domain);
    name.push('.');
    name
}

/// One SRV resource record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SrvRecord {
    /// Lower values are tried first.
    pub priority: u16,
    /// Relative weight among records of the same priority.
    pub weight: u16,
    /// The port to connect to.
    pub port: u16,
    /// The target host name, possibly with a trailing dot; `"."` means "no service".
    pub target: String,
}

impl SrvRecord {
    /// A record from its four fields.
    pub fn new(priority: u16, weight: u16, port: u16, target: impl Into<String>) -> Self {
        SrvRecord {
            priority,
            weight,
            port,
            target: target.into(),
        }
    }

    fn is_no_service(&self) -> bool {
        self.target == "." || self.target.is_empty()
    }
}

/// The answers of the two SRV lookups for one domain.
///
/// `None` means the lookup found nothing (NXDOMAIN, NODATA, or it was not made); `Some`
/// holds the records returned, which may be the single "." record of RFC 2782 saying the
/// service is decidedly not available.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SrvAnswers {
    /// Records for `_xmpp-client._tcp` / `_xmpp-server._tcp` (STARTTLS on a plain connection).
    pub starttls: Option<Vec<SrvRecord>>,
    /// Records for `_xmpps-client._tcp` / `_xmpps-server._tcp` (XEP-0368 Direct TLS).
    pub direct_tls: Option<Vec<SrvRecord>>,
}

/// One connection attempt: resolve `host` to A/AAAA addresses and try each on `port`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attempt {
    /// Host name to resolve (no trailing dot).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether TLS starts with the first byte (XEP-0368) instead of via STARTTLS.
    pub direct_tls: bool,
}

/// Where a plan's attempts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanSource {
    /// From SRV records.
    Srv,
    /// No SRV records: the domain itself on the default port (RFC 6120 §3.2.2).
    Fallback,
    /// The SRV answers said the service is decidedly not available (target "."):
    /// the plan is empty and no fallback may be tried.
    NoService,
    /// A configured host/port override bypassed SRV (RFC 6120 §3.2.3).
    Override,
}

/// The ordered list of connection attempts for one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolutionPlan {
    attempts: Vec<Attempt>,
    source: PlanSource,
}

impl ResolutionPlan {
    /// The attempts, in the order they must be tried.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// Where the attempts came from.
    pub fn source(&self) -> PlanSource {
        self.source
    }

    /// Whether there is nothing to try.
    pub fn is_empty(&self) -> bool {
        self.attempts.is_empty()
    }

    /// A plan that bypasses DNS SRV: one attempt on a configured host and port.
    pub fn with_override(host: impl Into<String>, port: u16, direct_tls: bool) -> Self {
        let host = host.into();
        let host = host.strip_suffix('.').map(str::to_owned).unwrap_or(host);
        ResolutionPlan {
            attempts: vec![Attempt {
                host,
                port,
                direct_tls,
            }],
            source: PlanSource::Override,
        }
    }

    /// A fallback plan for a domain with no SRV records: the domain itself on the default
    /// port of `kind`, with STARTTLS.
    pub fn fallback(domain: &str, kind: ServiceKind) -> Self {
        ResolutionPlan {
            attempts: vec![Attempt {
                host: domain.strip_suffix('.').unwrap_or(domain).to_owned(),
                port: kind.default_port(),
                direct_tls: false,
            }],
            source: PlanSource::Fallback,
        }
    }
}

impl IntoIterator for ResolutionPlan {
    type Item = Attempt;
    type IntoIter = std::vec::IntoIter<Attempt>;
    fn into_iter(self) -> Self::IntoIter {
        self.attempts.into_iter()
    }
}

/// Classification of one SRV answer set.
enum Answer<'a> {
    Absent,
    NoService,
    Records(&'a [SrvRecord]),
}

fn classify(records: Option<&Vec<SrvRecord>>) -> Answer<'_> {
    match records {
        None => Answer::Absent,
        Some(r) if r.is_empty() => Answer::Absent,
        // RFC 2782: a single record with target "." means "decidedly not available".
        Some(r) if r.len() == 1 && r[0].is_no_service() => Answer::NoService,
        Some(r) => Answer::Records(r),
    }
}

/// Builds the ordered attempt list for `domain` from the SRV answers.
///
/// - Records of both lookups are merged, "." targets dropped, and ordered per RFC 2782
///   (priority ascending, weighted shuffle within a priority using `rng`).
/// - Duplicate (host, port, direct TLS) attempts are kept only once, at their first place.
/// - With no records at all, the plan is the A/AAAA fallback: `domain` on port 5222/5269.
/// - When every answer that exists is the "." record, the plan is empty with
///   [`PlanSource::NoService`]; the caller must not fall back.
pub fn plan(
    domain: &str,
    kind: ServiceKind,
    answers: &SrvAnswers,
    rng: &mut dyn RngCore,
) -> ResolutionPlan {
    let plain = classify(answers.starttls.as_ref());
    let direct = classify(answers.direct_tls.as_ref());
    let mut candidates: Vec<(&SrvRecord, bool)> = Vec::new();
    let mut no_service = false;
    for (answer, direct_tls) in [(plain, false), (direct, true)] {
        match answer {
            Answer::Absent => {}
            Answer::NoService => no_service = true,
            Answer::Records(records) => candidates.extend(
                records
                    .iter()
                    .filter(|r| !r.is_no_service())
                    .map(|r| (r, direct_tls)),
            ),
        }
    }
    if candidates.is_empty() {
        if no_service {
            return ResolutionPlan {
                attempts: Vec::new(),
                source: PlanSource::NoService,
            };
        }
        return ResolutionPlan::fallback(domain, kind);
    }
    // Stable sort by priority; the weighted shuffle below runs per priority group.
    candidates.sort_by_key(|(r, _)| r.priority);
    let mut attempts: Vec<Attempt> = Vec::with_capacity(candidates.len());
    let mut start = 0;
    while start < candidates.len() {
        let priority = candidates[start].0.priority;
        let end = candidates[start..]
            .iter()
            .position(|(r, _)| r.priority != priority)
            .map_or(candidates.len(), |n| start + n);
        let group = &mut candidates[start..end];
        weighted_order(group, rng);
        for (record, direct_tls) in group.iter() {
            let host = record.target.strip_suffix('.').unwrap_or(&record.target);
            let attempt = Attempt {
                host: host.to_owned(),
                port: record.port,
                direct_tls: *direct_tls,
            };
            if !attempts.contains(&attempt) {
                attempts.push(attempt);
            }
        }
        start = end;
    }
    ResolutionPlan {
        attempts,
        source: PlanSource::Srv,
    }
}

/// Reorders one priority group in place per RFC 2782's selection algorithm: weight-0
/// records first in the running-sum list, pick a uniform number in `0..=sum`, take the
/// first record whose running sum reaches it, remove it, repeat.
fn weighted_order(group: &mut [(&SrvRecord, bool)], rng: &mut dyn RngCore) {
    // RFC 2782: "arrange all SRV RRs (that have not been ordered yet) in any order, except
    // that all those with weight 0 are placed at the beginning of the list".
    group.sort_by_key(|(r, _)| r.weight != 0);
    for i in 0..group.len() {
        let rest = &group[i..];
        let total: u64 = rest.iter().map(|(r, _)| u64::from(r.weight)).sum();
        let pick = uniform_inclusive(rng, total);
        let mut running = 0u64;
        let mut chosen = rest.len() - 1;
        for (n, (r, _)) in rest.iter().enumerate() {
            running += u64::from(r.weight);
            if running >= pick {
                chosen = n;
                break;
            }
        }
        // Move the chosen record to position i, keeping the others' relative order.
        group[i..=i + chosen].rotate_right(1);
    }
}

/// A number in `0..=max` from `rng` (multiply-shift, bias below 2^-32 for u16 sums).
fn uniform_inclusive(rng: &mut dyn RngCore, max: u64) -> u64 {
    let span = max + 1;
    (u64::from(rng.next_u32()) * span) >> 32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scripted source: returns the given u32 values in turn, then zeros.
    struct Script(Vec<u32>);
    impl RngCore for Script {
        fn next_u32(&mut self) -> u32 {
            if self.0.is_empty() {
                0
            } else {
                self.0.remove(0)
            }
        }
        fn next_u64(&mut self) -> u64 {
            u64::from(self.next_u32())
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.fill(0)
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            dest.fill(0);
            Ok(())
        }
    }

    fn hosts(p: &ResolutionPlan) -> Vec<(&str, u16, bool)> {
        p.attempts()
            .iter()
            .map(|a| (a.host.as_str(), a.port, a.direct_tls))
            .collect()
    }

    #[test]
    fn ucr_tcp_5_ucr_tcp_6_owner_names_for_all_services() {
        assert_eq!(
            srv_owner_name("example.com", ServiceKind::Client, false),
            "_xmpp-client._tcp.example.com."
        );
        assert_eq!(
            srv_owner_name("example.com.", ServiceKind::Server, false),
            "_xmpp-server._tcp.example.com."
        );
        assert_eq!(
            srv_owner_name("example.com", ServiceKind::Client, true),
            "_xmpps-client._tcp.example.com."
        );
        assert_eq!(
            srv_owner_name("example.com", ServiceKind::Server, true),
            "_xmpps-server._tcp.example.com."
        );
    }

    #[test]
    fn ucr_tcp_8_priority_orders_before_weight() {
        let answers = SrvAnswers {
            starttls: Some(vec![
                SrvRecord::new(20, 100, 5222, "c.example."),
                SrvRecord::new(10, 0, 5222, "a.example."),
                SrvRecord::new(30, 65535, 5223, "d.example."),
                SrvRecord::new(15, 1, 5222, "b.example."),
            ]),
            direct_tls: None,
        };
        let p = plan(
            "example",
            ServiceKind::Client,
            &answers,
            &mut Script(vec![]),
        );
        assert_eq!(p.source(), PlanSource::Srv);
        assert_eq!(
            hosts(&p),
            vec![
                ("a.example", 5222, false),
                ("b.example", 5222, false),
                ("c.example", 5222, false),
                ("d.example", 5223, false)
            ]
        );
    }

    #[test]
    fn ucr_tcp_8_weight_selection_follows_the_random_value() {
        // Same priority, weights 1 and 3: the running sums are [1, 4] and the pick is
        // uniform in 0..=4, so a pick of 0 or 1 takes "light", 2..=4 "heavy".
        let records = vec![
            SrvRecord::new(5, 1, 5222, "light."),
            SrvRecord::new(5, 3, 5222, "heavy."),
        ];
        let answers = SrvAnswers {
            starttls: Some(records),
            direct_tls: None,
        };
        // u32::MAX maps to 4 (the top of 0..=4); 0 maps to 0.
        let high = plan(
            "x",
            ServiceKind::Client,
            &answers,
            &mut Script(vec![u32::MAX]),
        );
        assert_eq!(high.attempts()[0].host, "heavy");
        assert_eq!(high.attempts()[1].host, "light");
        let low = plan("x", ServiceKind::Client, &answers, &mut Script(vec![0]));
        assert_eq!(low.attempts()[0].host, "light");
    }

    #[test]
    fn ucr_tcp_8_weighted_frequencies_are_proportional() {
        // Deterministic sweep over the whole random range: the share of first picks
        // must match the weights 1:3 (with weight-0 last-resort records almost never first).
        let answers = SrvAnswers {
            starttls: Some(vec![
                SrvRecord::new(1, 0, 1, "zero."),
                SrvRecord::new(1, 1, 1, "one."),
                SrvRecord::new(1, 3, 1, "three."),
            ]),
            direct_tls: None,
        };
        let mut counts = [0u32; 3];
        let steps = 4096u32;
        for i in 0..steps {
            let v = (u64::from(i) * (1u64 << 32) / u64::from(steps)) as u32;
            let p = plan("x", ServiceKind::Client, &answers, &mut Script(vec![v]));
            let idx = ["zero", "one", "three"]
                .iter()
                .position(|h| *h == p.attempts()[0].host)
                .expect("known host");
            counts[idx] += 1;
        }
        // Uniform over 0..=4: pick 0 -> "zero" (1/5), pick 1 -> "one" (1/5), 2..=4 -> "three".
        assert_eq!(counts[0] + counts[1] + counts[2], steps);
        assert!(counts[2] > counts[1] * 2, "{counts:?}");
        assert!(counts[1] > 0 && counts[0] > 0, "{counts:?}");
    }

    #[test]
    fn ucr_tcp_14_no_records_falls_back_to_domain_on_default_port() {
        let p = plan(
            "example.com",
            ServiceKind::Client,
            &SrvAnswers::default(),
            &mut Script(vec![]),
        );
        assert_eq!(p.source(), PlanSource::Fallback);
        assert_eq!(hosts(&p), vec![("example.com", 5222, false)]);
        let p = plan(
            "example.net.",
            ServiceKind::Server,
            &SrvAnswers {
                starttls: Some(vec![]),
                direct_tls: None,
            },
            &mut Script(vec![]),
        );
        assert_eq!(hosts(&p), vec![("example.net", 5269, false)]);
    }

    #[test]
    fn dot_target_means_no_service_and_no_fallback() {
        let dot = Some(vec![SrvRecord::new(0, 0, 0, ".")]);
        let p = plan(
            "example.com",
            ServiceKind::Client,
            &SrvAnswers {
                starttls: dot.clone(),
                direct_tls: None,
            },
            &mut Script(vec![]),
        );
        assert_eq!(p.source(), PlanSource::NoService);
        assert!(p.is_empty());
        // Both "." as well.
        let p = plan(
            "example.com",
            ServiceKind::Client,
            &SrvAnswers {
                starttls: dot.clone(),
                direct_tls: dot.clone(),
            },
            &mut Script(vec![]),
        );
        assert_eq!(p.source(), PlanSource::NoService);
        // "." for STARTTLS but Direct TLS records exist: only those are used.
        let p = plan(
            "example.com",
            ServiceKind::Client,
            &SrvAnswers {
                starttls: dot,
                direct_tls: Some(vec![SrvRecord::new(1, 1, 5223, "tls.example.com.")]),
            },
            &mut Script(vec![]),
        );
        assert_eq!(p.source(), PlanSource::Srv);
        assert_eq!(hosts(&p), vec![("tls.example.com", 5223, true)]);
    }

    #[test]
    fn direct_tls_and_starttls_records_merge_by_priority() {
        let answers = SrvAnswers {
            starttls: Some(vec![
                SrvRecord::new(10, 0, 5222, "xmpp.example.com."),
                SrvRecord::new(30, 0, 5222, "backup.example.com."),
            ]),
            direct_tls: Some(vec![SrvRecord::new(5, 0, 443, "xmpp.example.com.")]),
        };
        let p = plan(
            "example.com",
            ServiceKind::Client,
            &answers,
            &mut Script(vec![]),
        );
        assert_eq!(
            hosts(&p),
            vec![
                ("xmpp.example.com", 443, true),
                ("xmpp.example.com", 5222, false),
                ("backup.example.com", 5222, false)
            ]
        );
    }

    #[test]
    fn duplicate_records_are_tried_once() {
        let answers = SrvAnswers {
            starttls: Some(vec![
                SrvRecord::new(1, 0, 5222, "a.example."),
                SrvRecord::new(2, 0, 5222, "a.example"),
            ]),
            direct_tls: None,
        };
        let p = plan(
            "example",
            ServiceKind::Client,
            &answers,
            &mut Script(vec![]),
        );
        assert_eq!(hosts(&p), vec![("a.example", 5222, false)]);
    }

    #[test]
    fn ucr_tcp_16_override_bypasses_srv() {
        let p = ResolutionPlan::with_override("10.0.0.1", 5299, false);
        assert_eq!(p.source(), PlanSource::Override);
        assert_eq!(hosts(&p), vec![("10.0.0.1", 5299, false)]);
        let v: Vec<Attempt> = p.into_iter().collect();
        assert_eq!(v.len(), 1);
    }

    #[test]
    fn ucr_tcp_13_default_ports() {
        assert_eq!(ServiceKind::Client.default_port(), 5222);
        assert_eq!(ServiceKind::Server.default_port(), 5269);
    }
}
