//! An XEP-0114 component connecting to its server: [`Component`] and [`ComponentConfig`].
//!
//! A component is addressed by its own domain (`echo.example.com`) and authenticates with a
//! shared secret through the handshake of XEP-0114. The protocol has no TLS: run it on
//! loopback or a protected network, on the server's component port.
//!
//! ```no_run
//! use xmpp_blocking::{Component, ComponentConfig, Event};
//! let config = ComponentConfig::new("127.0.0.1", 5347);
//! let mut echo = Component::connect("echo.localhost", "s3cret", &config)?;
//! while let Event::Stanza(message) = echo.recv()? {
//!     // ... answer it
//! #   let _ = message;
//! }
//! # Ok::<(), xmpp_blocking::Error>(())
//! ```

use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use xmpp_stream::connection::{Connection, Event, InitiatorConfig};
use xmpp_stream::profile::Profile;
use xmpp_stream::resolve::ResolutionPlan;
use xmpp_stream::xml::Element;

use crate::client::connect_plan;
use crate::driver::Driver;
use crate::error::Error;
use crate::link::Link;

/// How [`Component::connect`] connects: the same fields, under the same names, as the tokio
/// adapter's `ComponentConfig`, plus `write_timeout`.
#[derive(Debug, Clone)]
pub struct ComponentConfig {
    /// The server's component port: host (name or IP literal) and port. Components do not
    /// resolve SRV records.
    pub server: (String, u16),
    /// Stream policy (limits, keepalives, timeouts); its TLS policy does not apply.
    pub profile: Arc<Profile>,
    /// Time limit of each TCP connect. Default: 10 s.
    pub connect_timeout: Duration,
    /// Time limit from the first TCP attempt to the accepted handshake. Default: 30 s.
    pub login_timeout: Duration,
    /// DiffServ code point (0..=63) for outgoing packets (UCR-DSCP-1); `None`: unmarked.
    pub dscp: Option<u8>,
    /// Time limit of each write. Default: 30 s.
    pub write_timeout: Duration,
}

impl ComponentConfig {
    /// Defaults, connecting to `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> ComponentConfig {
        ComponentConfig {
            server: (host.into(), port),
            profile: Arc::new(Profile::rfc6120()),
            connect_timeout: Duration::from_secs(10),
            login_timeout: Duration::from_secs(30),
            dscp: None,
            write_timeout: Duration::from_secs(30),
        }
    }
}

/// A component stream accepted by its server.
#[derive(Debug)]
pub struct Component {
    link: Link,
    domain: String,
}

impl Component {
    /// Connects to the server, opens a `jabber:component:accept` stream for `domain` and
    /// proves the shared `secret`. A refusal is [`Error::Login`] (the server's stream error,
    /// e.g. `host-unknown` or `not-authorized`). The same entry point as the tokio adapter's
    /// `Component::connect`.
    pub fn connect(
        domain: &str,
        secret: &str,
        config: &ComponentConfig,
    ) -> Result<Component, Error> {
        if let Some(d) = config.dscp.filter(|d| *d > 63) {
            return Err(Error::Config(format!("DSCP {d} is out of range 0..=63")));
        }
        let deadline = Instant::now() + config.login_timeout;
        let (host, port) = &config.server;
        let plan = ResolutionPlan::with_override(host, *port, false);
        let (stream, _) = connect_plan(&plan, config.connect_timeout, deadline)?;
        stream.set_write_timeout(Some(config.write_timeout))?;
        stream.set_nodelay(true)?;
        if let Some(d) = config.dscp {
            crate::socket::set_dscp(&stream, d)?;
        }
        let conn = Connection::initiator(
            InitiatorConfig::component(domain, secret),
            config.profile.clone(),
            Box::new(rand_core::OsRng),
            Instant::now(),
        )?;
        let (link, _) = Link::establish(Driver::tcp(conn, stream), deadline)?;
        Ok(Component {
            link,
            domain: domain.to_owned(),
        })
    }

    /// The component's domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The driver (machine and socket), for advanced use.
    pub fn driver_mut(&mut self) -> &mut Driver<TcpStream> {
        self.link.driver_mut()
    }

    /// Sends a stanza (its `from` must be the component's domain or an address under it).
    pub fn send(&mut self, stanza: &Element) -> Result<(), Error> {
        self.link.send(stanza)
    }

    /// Sends a typed stanza or anything else that converts into an element.
    pub fn send_stanza(&mut self, stanza: impl Into<Element>) -> Result<(), Error> {
        self.link.send(&stanza.into())
    }

    /// Blocks until the next event (a stanza, a stream error, the close).
    pub fn recv(&mut self) -> Result<Event, Error> {
        self.link.recv()
    }

    /// Like [`recv`](Self::recv), giving up after `timeout` with `Ok(None)`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Event>, Error> {
        self.link.recv_timeout(timeout)
    }

    /// Closes the stream (closing handshake, bounded by the profile's close timeout).
    pub fn close(self) -> Result<(), Error> {
        self.link.close()
    }
}
