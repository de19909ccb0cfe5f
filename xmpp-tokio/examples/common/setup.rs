//! Starting the reference server: accounts, TLS, the listening sockets, then
//! `xmpp_tokio::serve_im` (the server core does the rest).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use xmpp_store::Store;
use xmpp_tokio::xmpp_server::{Component, Config};
use xmpp_tokio::{ImServer, ImServerConfig};

use super::tls::TlsMaterial;

/// SCRAM iteration count for the accounts (RFC 7677 recommends at least 4096).
pub const ITERATIONS: u32 = 4096;

/// Server settings beyond the accounts.
#[derive(Default)]
pub struct Options {
    /// Another stream profile (timeouts, limits).
    pub profile: Option<xmpp_stream::profile::Profile>,
    /// Another connection limit than `ServerConfig`'s default.
    pub max_connections: Option<usize>,
    /// Verify client certificates with this trust (anchors, CRLs) for SASL EXTERNAL.
    pub client_certs: Option<xmpp_tokio::Trust>,
    /// Listen for XEP-0114 components on these addresses.
    pub component_listen: Vec<SocketAddr>,
    /// The components admitted: (domain, secret).
    pub components: Vec<(String, String)>,
    /// Keep rosters and offline messages in this database (`--data`) instead of memory.
    pub data: Option<Store>,
}

/// What the reference server calls itself (disco#info, software version).
pub const SOFTWARE_NAME: &str = "xmpp-tokio reference server";

/// `count` accounts `PREFIX0`.. sharing one password (load runs): SCRAM credentials for each
/// hash are derived once, with one random salt, and shared, so 10,000 accounts cost three
/// PBKDF2 runs instead of 30,000. Returns the store and the user names.
pub fn bulk_store(
    domain: &str,
    prefix: &str,
    count: usize,
    password: &str,
    iterations: u32,
) -> Result<(xmpp_sasl::MemoryStore, Vec<String>), String> {
    let creds = shared_credentials(password, iterations)?;
    let mut store = xmpp_sasl::MemoryStore::new().with_domain(domain);
    let mut names = Vec::with_capacity(count);
    for i in 0..count {
        let name = format!("{prefix}{i}");
        for c in &creds {
            store
                .insert_credentials(&name, c.clone())
                .map_err(|e| format!("account {name}: {e}"))?;
        }
        names.push(name);
    }
    Ok((store, names))
}

/// The server, on memory or on a database.
pub enum Served {
    /// Rosters and offline messages in memory.
    Memory(ImServer),
    /// Rosters and offline messages in an `xmpp-store` database (`--data`).
    Data(ImServer<Store>),
}

/// SCRAM credentials for every hash, derived once with one random salt, to be shared by many
/// accounts (load runs).
pub fn shared_credentials(
    password: &str,
    iterations: u32,
) -> Result<Vec<xmpp_sasl::ScramCredentials>, String> {
    let mut salt = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut salt);
    xmpp_sasl::ScramHash::ALL
        .iter()
        .map(|h| xmpp_sasl::ScramCredentials::derive(*h, password, &salt, iterations))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("credentials: {e}"))
}

/// A running reference server.
pub struct Reference {
    pub server: Served,
}

impl Reference {
    /// Starts listening on each address (port 0: any free port).
    pub async fn start(
        listen: &[SocketAddr],
        domain: &str,
        users: &[(String, String)],
        tls: &TlsMaterial,
    ) -> Result<Reference, String> {
        Reference::start_with(listen, domain, users, tls, None).await
    }

    /// As `start`, with another stream profile (timeouts, limits).
    pub async fn start_with(
        listen: &[SocketAddr],
        domain: &str,
        users: &[(String, String)],
        tls: &TlsMaterial,
        profile: Option<xmpp_stream::profile::Profile>,
    ) -> Result<Reference, String> {
        let mut store = xmpp_sasl::MemoryStore::new().with_domain(domain);
        for (u, p) in users {
            store
                .add_user(u, p, ITERATIONS, &mut rand_core::OsRng)
                .map_err(|e| format!("account {u}: {e}"))?;
        }
        let names: Vec<String> = users.iter().map(|(u, _)| u.clone()).collect();
        let options = Options {
            profile,
            ..Options::default()
        };
        Reference::start_store(listen, domain, Arc::new(store), &names, tls, options).await
    }

    /// Starts with accounts already in `store` (`names`: their user names, made known to the
    /// server core so that messages to them wait offline before their first login; with
    /// `options.data` the database already knows its accounts).
    pub async fn start_store(
        listen: &[SocketAddr],
        domain: &str,
        store: Arc<dyn xmpp_sasl::CredentialStore + Send + Sync>,
        names: &[String],
        tls: &TlsMaterial,
        options: Options,
    ) -> Result<Reference, String> {
        let mut core = Config::new([domain]);
        core.software.name = SOFTWARE_NAME.to_owned();
        for (component, secret) in &options.components {
            core.components.push(Component::new(component, secret));
        }
        let mut config = ImServerConfig::new(
            core,
            Some((
                tls.server_config_with(options.client_certs.as_ref())?,
                Some(tls.cert.clone()),
            )),
            store,
        );
        config.accounts = names
            .iter()
            .map(|n| {
                format!("{n}@{domain}")
                    .parse()
                    .map_err(|e| format!("account {n}: {e}"))
            })
            .collect::<Result<_, String>>()?;
        if let Some(p) = options.profile {
            config.server.profile = Arc::new(p);
        }
        if let Some(n) = options.max_connections {
            config.server.max_connections = n;
        }
        let clients = bind_all(listen).await?;
        let components = bind_all(&options.component_listen).await?;
        let server = match options.data {
            Some(store) => {
                xmpp_tokio::serve_im_with(clients, components, config, store).map(Served::Data)
            }
            None => xmpp_tokio::serve_im(clients, components, config).map(Served::Memory),
        }
        .map_err(|e| format!("cannot serve: {e}"))?;
        Ok(Reference { server })
    }

    /// The client addresses actually bound.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        match &self.server {
            Served::Memory(s) => s.client_addrs(),
            Served::Data(s) => s.client_addrs(),
        }
    }

    /// The component addresses actually bound.
    pub fn component_addrs(&self) -> Vec<SocketAddr> {
        match &self.server {
            Served::Memory(s) => s.component_addrs(),
            Served::Data(s) => s.component_addrs(),
        }
    }

    /// Connection tasks alive, over every listener.
    pub fn active_connections(&self) -> usize {
        match &self.server {
            Served::Memory(s) => s.active_connections(),
            Served::Data(s) => s.active_connections(),
        }
    }

    /// Resources bound right now.
    pub fn sessions(&self) -> usize {
        match &self.server {
            Served::Memory(s) => s.inspect(|core| core.bound_resources()),
            Served::Data(s) => s.inspect(|core| core.bound_resources()),
        }
    }

    /// Stops every accept loop.
    pub async fn shutdown(self) {
        match self.server {
            Served::Memory(s) => s.shutdown().await,
            Served::Data(s) => s.shutdown().await,
        }
    }
}

async fn bind_all(addrs: &[SocketAddr]) -> Result<Vec<tokio::net::TcpListener>, String> {
    let mut listeners = Vec::new();
    for addr in addrs {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        listeners.push(listener);
    }
    Ok(listeners)
}
