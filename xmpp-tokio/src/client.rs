//! The client side: [`Client::connect`] (or the free [`connect`], the same function) resolves,
//! connects, negotiates through the core and returns a [`Client`] once the session is
//! established.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_core::OsRng;
use xmpp_jid::{BareJid, FullJid};
use xmpp_stream::connection::{
    AuthMethod, Connection, Event, InitiatorAuth, InitiatorConfig, LoggedIn, Login, LoginError,
    NegotiationFailure,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::Profile;
use xmpp_stream::resolve::ResolutionPlan;
use xmpp_stream::stream_management::{SmSession, SmSettings};
use xmpp_stream::xml::Element;

use crate::driver::{self, DriverConfig, Events, Handle};
use crate::error::ConnectError;
use crate::resolve;

/// How [`Client::connect`] reaches and logs into the server.
#[derive(Clone)]
pub struct ClientConfig {
    /// The TLS client configuration (trusted roots, optional client certificate).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// The stream profile (TLS policy, mechanisms, limits, timeouts).
    pub profile: Arc<Profile>,
    /// Connect here instead of resolving the domain (RFC 6120 §3.2.3): host (name or IP
    /// literal) and port.
    pub server: Option<(String, u16)>,
    /// With `server`: TLS from the first byte (XEP-0368) instead of STARTTLS.
    pub direct_tls: bool,
    /// The resource to ask for (`None`: the server picks one).
    pub resource: Option<String>,
    /// Delay before racing the next address (RFC 8305 recommends 250 ms).
    pub happy_eyeballs_delay: Duration,
    /// Longest time for DNS and TCP together.
    pub connect_timeout: Duration,
    /// Longest time from the TCP connection to an established session.
    pub login_timeout: Duration,
    /// DSCP code point for the socket (UCR-DSCP-1), `None` to leave it alone.
    pub dscp: Option<u8>,
    /// Queue sizes.
    pub driver: DriverConfig,
    /// The DNS resolver (`None`: the system's configuration, `/etc/resolv.conf`).
    pub resolver: Option<hickory_resolver::TokioResolver>,
    /// XEP-0198 stream management, enabled after binding when the server offers it
    /// (default: on, asking for resumption). When the stream ends the session comes out in
    /// [`Event::Detached`], for [`Client::resume`].
    pub stream_management: Option<SmSettings>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("tls", &self.tls.is_some())
            .field("profile", &self.profile)
            .field("server", &self.server)
            .field("direct_tls", &self.direct_tls)
            .field("resource", &self.resource)
            .field("happy_eyeballs_delay", &self.happy_eyeballs_delay)
            .field("connect_timeout", &self.connect_timeout)
            .field("login_timeout", &self.login_timeout)
            .field("dscp", &self.dscp)
            .field("driver", &self.driver)
            .field("resolver", &self.resolver.is_some())
            .field("stream_management", &self.stream_management)
            .finish()
    }
}

impl ClientConfig {
    /// Defaults (RFC 6120 profile, SRV resolution) with this TLS configuration (see
    /// [`Trust`](crate::Trust) for making one: PEM roots, the Mozilla roots, CRLs).
    pub fn new(tls: Arc<rustls::ClientConfig>) -> Self {
        ClientConfig::with_tls(Some(tls))
    }

    /// Defaults with the server certificates accepted by `trust`.
    pub fn trusting(trust: &crate::Trust) -> Result<Self, crate::TrustError> {
        Ok(ClientConfig::new(trust.client_config()?))
    }

    fn with_tls(tls: Option<Arc<rustls::ClientConfig>>) -> Self {
        ClientConfig {
            tls,
            profile: Arc::new(Profile::rfc6120()),
            server: None,
            direct_tls: false,
            resource: None,
            happy_eyeballs_delay: Duration::from_millis(250),
            connect_timeout: Duration::from_secs(30),
            login_timeout: Duration::from_secs(30),
            dscp: None,
            driver: DriverConfig::default(),
            resolver: None,
            stream_management: Some(SmSettings::initiator()),
        }
    }

    /// No TLS configuration, with a profile that must disable TLS: loopback and tests only.
    pub fn plaintext(profile: Arc<Profile>) -> Self {
        ClientConfig {
            profile,
            ..ClientConfig::with_tls(None)
        }
    }

    /// Connect to `host:port` instead of resolving the domain.
    #[must_use]
    pub fn with_server(mut self, host: impl Into<String>, port: u16) -> Self {
        self.server = Some((host.into(), port));
        self
    }
}

/// An established client session.
#[derive(Debug)]
pub struct Client {
    /// Sends stanzas, closes.
    pub handle: Handle,
    /// Stanzas and the final [`Event::Closed`].
    pub events: Events,
    /// The bound full JID.
    pub jid: FullJid,
    /// How the session authenticated (the SASL mechanism).
    pub mechanism: AuthMethod,
    /// Whether the stream runs over TLS.
    pub tls: bool,
    /// Stream management: the previous session was resumed ([`Client::resume`]), not bound
    /// anew.
    pub resumed: bool,
    /// Stream management: resumption was refused and these stanzas of the previous session
    /// were never acknowledged by the server, oldest first (send them again if they matter).
    pub not_resumed: Vec<Element>,
}

impl Client {
    /// Resolves the JID's domain (or uses the configured server), connects, negotiates TLS,
    /// authenticates with `password`, binds, and returns the established session. The same
    /// entry point as the blocking adapter's `Client::connect`; the free function [`connect`]
    /// is the same.
    pub async fn connect(
        jid: &BareJid,
        password: &str,
        config: &ClientConfig,
    ) -> Result<Client, ConnectError> {
        connect(jid, password, config).await
    }

    /// Like [`connect`](Self::connect) with any SASL credentials: a password, a client
    /// certificate for EXTERNAL (in the rustls configuration of [`ClientConfig::new`]),
    /// Kerberos tickets for GSSAPI (`xmpp_sasl::Credentials::kerberos`, feature `gssapi` of
    /// `xmpp-sasl`) or ANONYMOUS (then `jid` may be the bare domain). The same entry point as
    /// the blocking adapter's `Client::connect_with`.
    pub async fn connect_with(
        jid: &BareJid,
        credentials: xmpp_sasl::Credentials,
        config: &ClientConfig,
    ) -> Result<Client, ConnectError> {
        connect_with_credentials(jid, credentials, config, None).await
    }

    /// Connects like [`connect`](Self::connect) and resumes `previous` (the session of an
    /// earlier stream, from its [`Event::Detached`]) instead of
    /// binding: the server sends again what it had sent and `previous` never handled, and
    /// this side sends again what the server never handled ([`Client::resumed`]). When the
    /// server cannot resume it, a new session is bound and [`Client::not_resumed`] holds the
    /// stanzas the server never acknowledged.
    pub async fn resume(
        jid: &BareJid,
        password: &str,
        config: &ClientConfig,
        previous: SmSession,
    ) -> Result<Client, ConnectError> {
        connect_with_session(jid, password, config, Some(previous)).await
    }
}

/// Resolves the JID's domain (or uses the configured server), connects, negotiates TLS,
/// authenticates, binds, and returns the established session: the same as
/// [`Client::connect`].
pub async fn connect(
    jid: &BareJid,
    password: &str,
    config: &ClientConfig,
) -> Result<Client, ConnectError> {
    connect_with_session(jid, password, config, None).await
}

async fn connect_with_session(
    jid: &BareJid,
    password: &str,
    config: &ClientConfig,
    previous: Option<SmSession>,
) -> Result<Client, ConnectError> {
    let node = jid
        .node()
        .ok_or_else(|| ConnectError::Credentials("a client JID needs a local part".into()))?;
    let creds = xmpp_sasl::Credentials::password(node, password)
        .map_err(|e| ConnectError::Credentials(e.to_string()))?;
    connect_with_credentials(jid, creds, config, previous).await
}

async fn connect_with_credentials(
    jid: &BareJid,
    creds: xmpp_sasl::Credentials,
    config: &ClientConfig,
    previous: Option<SmSession>,
) -> Result<Client, ConnectError> {
    let domain = jid.domain().to_owned();
    let (tcp, direct_tls) = tokio::time::timeout(config.connect_timeout, open(&domain, config))
        .await
        .map_err(|_| ConnectError::Timeout(config.connect_timeout, "connecting"))??;
    crate::socket::prepare(&tcp, config.dscp);
    let mut conn = Connection::initiator(
        InitiatorConfig {
            kind: StreamKind::Client,
            to: domain,
            from: Some(jid.as_str().to_owned()),
            tls: config.tls.clone(),
            direct_tls,
            auth: InitiatorAuth::Sasl(creds),
            resource: config.resource.clone(),
        },
        config.profile.clone(),
        Box::new(OsRng),
        Instant::now(),
    )?;
    if let Some(sm) = config.stream_management {
        conn.enable_stream_management(sm)?;
    }
    if let Some(previous) = previous.filter(SmSession::is_resumable) {
        conn.resume_stream_management(previous)?;
    }
    let (handle, mut events, _task) = driver::spawn(tcp, conn, config.driver, None);
    let login = login(&mut events);
    match tokio::time::timeout(config.login_timeout, login).await {
        Ok(Ok((jid, login))) => Ok(Client {
            handle,
            events,
            jid,
            mechanism: login.method,
            tls: login.tls,
            resumed: login.resumed,
            not_resumed: login.not_resumed,
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => {
            let _ = handle.close().await;
            Err(ConnectError::Timeout(config.login_timeout, "logging in"))
        }
    }
}

/// Opens the TCP connection: the override, or the SRV plan's attempts in order, each host's
/// addresses raced.
async fn open(
    domain: &str,
    config: &ClientConfig,
) -> Result<(tokio::net::TcpStream, bool), ConnectError> {
    let dns = || {
        if let Some(r) = &config.resolver {
            return Ok(r.clone());
        }
        hickory_resolver::TokioResolver::builder_tokio()
            .map(|b| b.build())
            .map_err(|e| ConnectError::Dns {
                name: domain.to_owned(),
                reason: e.to_string(),
            })
    };
    let plan = match &config.server {
        Some((host, port)) => ResolutionPlan::with_override(host.clone(), *port, config.direct_tls),
        None => resolve::plan_for(&dns()?, domain, &mut OsRng).await?,
    };
    if plan.is_empty() {
        return Err(ConnectError::NoService(domain.to_owned()));
    }
    let mut resolver = None;
    let mut last = None;
    for attempt in plan {
        let literal = attempt
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>();
        let addrs = match literal {
            Ok(ip) => vec![std::net::SocketAddr::new(ip, attempt.port)],
            Err(_) => {
                if resolver.is_none() {
                    resolver = Some(dns()?);
                }
                let Some(r) = resolver.as_ref() else {
                    continue;
                };
                match resolve::addresses(r, &attempt.host, attempt.port).await {
                    Ok(a) => a,
                    Err(e) => {
                        last = Some(e);
                        continue;
                    }
                }
            }
        };
        match resolve::happy_eyeballs(&addrs, config.happy_eyeballs_delay).await {
            Ok((tcp, addr)) => {
                tracing::debug!(%addr, direct_tls = attempt.direct_tls, "connected");
                return Ok((tcp, attempt.direct_tls));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| ConnectError::NoService(domain.to_owned())))
}

/// Reads events until the stream is established, or turns the end into a typed error (the
/// reading is the core's [`Login`], shared with every adapter).
pub(crate) async fn await_login(events: &mut Events) -> Result<LoggedIn, ConnectError> {
    let mut login = Login::new();
    let mut early = Vec::new();
    while let Some(ev) = events.next().await {
        if let Event::Stanza(_) = ev {
            // Sent by the server before the stream was established (after bind, while
            // stream management is being enabled): the application's, not the login's.
            early.push(ev);
            continue;
        }
        match login.observe(&ev) {
            Some(Ok(done)) => {
                for stanza in early {
                    events.keep_early(stanza);
                }
                return Ok(done);
            }
            Some(Err(e)) => return Err(ConnectError::Login(e)),
            None => tracing::trace!(event = ?ev, "negotiation"),
        }
    }
    Err(ConnectError::Login(LoginError::Closed))
}

/// A c2s login: established with a bound JID.
async fn login(events: &mut Events) -> Result<(FullJid, LoggedIn), ConnectError> {
    let done = await_login(events).await?;
    let jid = done
        .jid
        .clone()
        .ok_or(ConnectError::Login(LoginError::Negotiation(
            NegotiationFailure::MalformedBindResult,
        )))?;
    Ok((jid, done))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// A stanza the server sends before the stream is established (between bind and
    /// `<enabled/>`) is not swallowed by the login: it is the first event afterwards.
    #[tokio::test]
    async fn a_stanza_read_during_the_login_is_handed_out_first() {
        let (_handle, mut events, _commands, tx) = driver::channels(&DriverConfig::default());
        let early: xmpp_stream::xml::Element =
            "<message xmlns='jabber:client'><body>early</body></message>"
                .parse()
                .unwrap();
        let jid: FullJid = "juliet@example.com/balcony".parse().unwrap();
        for event in [
            Event::Authenticated {
                mechanism: AuthMethod::from_sasl_name("SCRAM-SHA-1"),
                identity: "juliet@example.com".into(),
            },
            Event::Bound(jid.clone()),
            Event::Stanza(early.clone()),
            Event::Established,
            Event::Stanza(early.clone()),
        ] {
            tx.send(Box::new(event)).await.unwrap();
        }
        let (bound, _) = login(&mut events).await.unwrap();
        assert_eq!(bound, jid);
        assert_eq!(events.next().await, Some(Event::Stanza(early.clone())));
        assert_eq!(events.next().await, Some(Event::Stanza(early)));
    }

    /// Applications spawn logins on multi-threaded runtimes: the future must be `Send`.
    #[test]
    fn connect_future_is_send() {
        let jid: BareJid = "a@localhost".parse().unwrap();
        let config = ClientConfig::plaintext(Arc::new(Profile::rfc6120()));
        let fut = connect(&jid, "x", &config);
        assert_send(&fut);
        let fut = Client::connect(&jid, "x", &config);
        assert_send(&fut);
    }
}
