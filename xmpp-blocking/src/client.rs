//! A logged-in c2s client over TCP: resolution, connect, negotiation, stanzas.

use std::fmt;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use xmpp_jid::{BareJid, FullJid};
use xmpp_stream::connection::{
    Connection, Event, InitiatorAuth, InitiatorConfig, LoginError, NegotiationFailure,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::Profile;
use xmpp_stream::resolve::{self, PlanSource, ResolutionPlan, ServiceKind};
use xmpp_stream::stream_management::{SmSession, SmSettings};
use xmpp_stream::xml::Element;

use crate::dns::{self, CachingSrvResolver, SrvResolver, SystemSrvResolver};
use crate::driver::Driver;
use crate::error::Error;
use crate::link::Link;
use crate::{Trust, TrustError};

/// How [`Client::connect`] connects and negotiates: the same fields, under the same names, as
/// the tokio adapter's `ClientConfig`, plus the blocking ones (`write_timeout`, `srv`).
///
/// Made by a constructor, then adjusted field by field: [`trusting`](Self::trusting) (the
/// usual one, with [`Trust::webpki_roots`] or [`Trust::from_pem`]), [`new`](Self::new) with a
/// complete rustls configuration (e.g. a client certificate for SASL EXTERNAL), or
/// [`plaintext`](Self::plaintext) for loopback tests.
#[derive(Clone)]
pub struct ClientConfig {
    /// The TLS client configuration (trusted roots, optional client certificate). `None`
    /// only with a profile that disables TLS.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Stream policy (TLS, mechanisms, keepalives, limits). Default: RFC 6120.
    pub profile: Arc<Profile>,
    /// Connect to this host (name or IP literal) and port instead of resolving SRV records
    /// (RFC 6120 §3.2.3).
    pub server: Option<(String, u16)>,
    /// With `server`: TLS from the first byte (XEP-0368) instead of STARTTLS.
    pub direct_tls: bool,
    /// The resource to ask for (`None`: the server picks one).
    pub resource: Option<String>,
    /// Time limit of each TCP connect. Default: 10 s.
    pub connect_timeout: Duration,
    /// Time limit from the first TCP attempt to a negotiated stream. Default: 30 s.
    pub login_timeout: Duration,
    /// DiffServ code point (0..=63) for outgoing packets (UCR-DSCP-1); `None`: unmarked.
    pub dscp: Option<u8>,
    /// Time limit of each write. Default: 30 s.
    pub write_timeout: Duration,
    /// The SRV resolver (default: the system's name servers, answers cached within their TTL).
    pub srv: Arc<dyn SrvResolver>,
    /// XEP-0198 stream management, enabled after binding when the server offers it
    /// (default: on, asking for resumption). When the stream ends the session comes out in
    /// [`Event::Detached`], for [`Client::resume`].
    pub stream_management: Option<SmSettings>,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("tls", &self.tls.is_some())
            .field("profile", &self.profile)
            .field("server", &self.server)
            .field("direct_tls", &self.direct_tls)
            .field("resource", &self.resource)
            .field("connect_timeout", &self.connect_timeout)
            .field("login_timeout", &self.login_timeout)
            .field("dscp", &self.dscp)
            .field("write_timeout", &self.write_timeout)
            .field("stream_management", &self.stream_management)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// Defaults (RFC 6120 profile, SRV resolution through the system's name servers) with
    /// this TLS configuration: a custom rustls configuration, e.g. with a client certificate
    /// for SASL EXTERNAL ([`Trust::client_config`] makes the usual ones).
    pub fn new(tls: Arc<rustls::ClientConfig>) -> Self {
        ClientConfig::with_tls(Some(tls))
    }

    /// Defaults with the server certificates accepted by `trust`
    /// (`ClientConfig::trusting(&Trust::webpki_roots())` for servers with public
    /// certificates).
    pub fn trusting(trust: &Trust) -> Result<Self, TrustError> {
        Ok(ClientConfig::new(trust.client_config()?))
    }

    /// No TLS configuration, with a profile that must disable TLS: loopback and tests only.
    pub fn plaintext(profile: Arc<Profile>) -> Self {
        ClientConfig {
            profile,
            ..ClientConfig::with_tls(None)
        }
    }

    fn with_tls(tls: Option<Arc<rustls::ClientConfig>>) -> Self {
        ClientConfig {
            tls,
            profile: Arc::new(Profile::rfc6120()),
            server: None,
            direct_tls: false,
            resource: None,
            connect_timeout: Duration::from_secs(10),
            login_timeout: Duration::from_secs(30),
            dscp: None,
            write_timeout: Duration::from_secs(30),
            srv: Arc::new(CachingSrvResolver::new(SystemSrvResolver::from_system())),
            stream_management: Some(SmSettings::initiator()),
        }
    }

    /// Connect to `host:port` instead of resolving the domain.
    #[must_use]
    pub fn with_server(mut self, host: impl Into<String>, port: u16) -> Self {
        self.server = Some((host.into(), port));
        self
    }
}

/// A negotiated client stream over TCP (see the [crate docs](crate)).
#[derive(Debug)]
pub struct Client {
    link: Link,
    jid: FullJid,
    resumed: bool,
    not_resumed: Vec<Element>,
}

impl Client {
    /// Resolves the JID's domain (or uses the configured server), connects over TCP,
    /// negotiates TLS, authenticates with `password` and binds a resource. Every step is
    /// bounded by the config's timeouts. The same entry point as the tokio adapter's
    /// `Client::connect`.
    pub fn connect(jid: &BareJid, password: &str, config: &ClientConfig) -> Result<Client, Error> {
        let username = jid.node().ok_or_else(|| Error::Jid {
            jid: jid.to_string(),
            reason: "a client JID needs a local part".into(),
        })?;
        let credentials = xmpp_sasl::Credentials::password(username, password)
            .map_err(|e| Error::Config(e.to_string()))?;
        Client::connect_with(jid, credentials, config)
    }

    /// Like [`connect`](Self::connect) with any SASL credentials: a password, a client
    /// certificate for EXTERNAL (the certificate goes into the rustls configuration given to
    /// [`ClientConfig::new`]) or ANONYMOUS (then `jid` may be the bare domain).
    pub fn connect_with(
        jid: &BareJid,
        credentials: xmpp_sasl::Credentials,
        config: &ClientConfig,
    ) -> Result<Client, Error> {
        Client::connect_with_session(jid, credentials, config, None)
    }

    /// Connects like [`connect`](Self::connect) and resumes `previous` (the session of an
    /// earlier stream, from its `Event::Detached`) instead of binding: the server sends
    /// again what it had sent and `previous` never handled, and this side sends again what
    /// the server never handled ([`resumed`](Self::resumed)). When the server cannot resume
    /// it, a new session is bound and [`take_not_resumed`](Self::take_not_resumed) gives
    /// the stanzas the server never acknowledged.
    pub fn resume(
        jid: &BareJid,
        password: &str,
        config: &ClientConfig,
        previous: SmSession,
    ) -> Result<Client, Error> {
        let username = jid.node().ok_or_else(|| Error::Jid {
            jid: jid.to_string(),
            reason: "a client JID needs a local part".into(),
        })?;
        let credentials = xmpp_sasl::Credentials::password(username, password)
            .map_err(|e| Error::Config(e.to_string()))?;
        Client::connect_with_session(jid, credentials, config, Some(previous))
    }

    fn connect_with_session(
        jid: &BareJid,
        credentials: xmpp_sasl::Credentials,
        config: &ClientConfig,
        previous: Option<SmSession>,
    ) -> Result<Client, Error> {
        let domain = jid.domain().to_owned();
        if let Some(d) = config.dscp.filter(|d| *d > 63) {
            return Err(Error::Config(format!("DSCP {d} is out of range 0..=63")));
        }
        let started = Instant::now();
        let deadline = started + config.login_timeout;
        let plan = match &config.server {
            Some((host, port)) => ResolutionPlan::with_override(host, *port, config.direct_tls),
            None => {
                let answers = dns::srv_answers(config.srv.as_ref(), &domain, ServiceKind::Client)?;
                resolve::plan(
                    &domain,
                    ServiceKind::Client,
                    &answers,
                    &mut rand_core::OsRng,
                )
            }
        };
        if plan.source() == PlanSource::NoService {
            return Err(Error::NoService { domain });
        }
        let (stream, direct_tls) = connect_plan(&plan, config.connect_timeout, deadline)?;
        stream.set_write_timeout(Some(config.write_timeout))?;
        stream.set_nodelay(true)?;
        if let Some(d) = config.dscp {
            crate::socket::set_dscp(&stream, d)?;
        }
        let mut conn = Connection::initiator(
            InitiatorConfig {
                kind: StreamKind::Client,
                to: domain,
                from: Some(jid.to_string()),
                tls: config.tls.clone(),
                direct_tls,
                auth: InitiatorAuth::Sasl(credentials),
                resource: config.resource.clone(),
            },
            config.profile.clone(),
            Box::new(rand_core::OsRng),
            Instant::now(),
        )?;
        if let Some(sm) = config.stream_management {
            conn.enable_stream_management(sm)?;
        }
        if let Some(previous) = previous.filter(SmSession::is_resumable) {
            conn.resume_stream_management(previous)?;
        }
        let (link, logged_in) = Link::establish(Driver::tcp(conn, stream), deadline)?;
        let jid = (logged_in.jid.clone())
            .or_else(|| link.driver().connection().bound_jid().cloned())
            .ok_or(Error::Login(LoginError::Negotiation(
                NegotiationFailure::MalformedBindResult,
            )))?;
        Ok(Client {
            link,
            jid,
            resumed: logged_in.resumed,
            not_resumed: logged_in.not_resumed,
        })
    }

    /// Stream management: the previous session was resumed ([`Client::resume`]), not bound
    /// anew.
    pub fn resumed(&self) -> bool {
        self.resumed
    }

    /// Stream management: when resumption was refused, the stanzas of the previous session
    /// the server never acknowledged, oldest first (send them again if they matter); empty
    /// afterwards.
    pub fn take_not_resumed(&mut self) -> Vec<Element> {
        std::mem::take(&mut self.not_resumed)
    }

    /// The bound full JID.
    pub fn jid(&self) -> &FullJid {
        &self.jid
    }

    /// The driver (machine and socket), for advanced use.
    pub fn driver_mut(&mut self) -> &mut Driver<TcpStream> {
        self.link.driver_mut()
    }

    /// Sends a stanza.
    pub fn send(&mut self, stanza: &Element) -> Result<(), Error> {
        self.link.send(stanza)
    }

    /// Sends a typed stanza ([`xmpp_stanza::Message`], [`xmpp_stanza::Presence`],
    /// [`xmpp_stanza::Iq`]) or anything else that converts into an element.
    pub fn send_stanza(&mut self, stanza: impl Into<Element>) -> Result<(), Error> {
        self.link.send(&stanza.into())
    }

    /// Blocks until the next event (a stanza, a stream error, the close). Keepalives and
    /// timers run meanwhile.
    pub fn recv(&mut self) -> Result<Event, Error> {
        self.link.recv()
    }

    /// Like [`recv`](Self::recv), giving up after `timeout` with `Ok(None)`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Event>, Error> {
        self.link.recv_timeout(timeout)
    }

    /// Closes the stream: sends the closing tag and waits (up to the profile's close timeout)
    /// for the server's. Stanzas still arriving meanwhile are dropped.
    pub fn close(self) -> Result<(), Error> {
        self.link.close()
    }
}

/// Tries each attempt's addresses in turn until one accepts a TCP connection.
pub(crate) fn connect_plan(
    plan: &ResolutionPlan,
    connect_timeout: Duration,
    deadline: Instant,
) -> Result<(TcpStream, bool), Error> {
    let mut last: Option<Error> = None;
    for attempt in plan.attempts() {
        let addrs = match dns::host_addrs(&attempt.host, attempt.port) {
            Ok(a) => a,
            Err(e) => {
                last = Some(e);
                continue;
            }
        };
        for addr in addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout { during: "connect" });
            }
            match TcpStream::connect_timeout(&addr, connect_timeout.min(left)) {
                Ok(s) => return Ok((s, attempt.direct_tls)),
                Err(e) => {
                    tracing::debug!(%addr, error = %e, "connect attempt failed");
                    last = Some(Error::Connect {
                        target: format!("{}:{} ({addr})", attempt.host, attempt.port),
                        source: e,
                    });
                }
            }
        }
    }
    Err(last.unwrap_or_else(|| Error::Dns {
        name: "plan".into(),
        reason: "no address to try".into(),
    }))
}
