//! Starting the reference server: accounts, TLS, one accept loop per listening address, each
//! connection served by the IM layer.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use xmpp_tokio::{Server, ServerConfig};

use super::im_server::ImServer;
use super::tls::TlsMaterial;

/// SCRAM iteration count for the accounts (RFC 7677 recommends at least 4096).
pub const ITERATIONS: u32 = 4096;

/// A running reference server.
pub struct Reference {
    pub servers: Vec<Server>,
    pub im: ImServer,
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
        let names: Vec<&str> = users.iter().map(|(u, _)| u.as_str()).collect();
        let im = ImServer::new(domain, &names);
        let config = ServerConfig::new(
            vec![domain.to_owned()],
            Some((tls.server_config()?, Some(tls.cert.clone()))),
            Arc::new(store),
        );
        let mut config = config;
        if let Some(p) = profile {
            config.profile = Arc::new(p);
        }
        let mut servers = Vec::new();
        for addr in listen {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            let im2 = im.clone();
            let server = xmpp_tokio::serve(listener, config.clone(), move |incoming| {
                tokio::spawn(im2.clone().serve_connection(incoming));
            })
            .map_err(|e| format!("cannot serve on {addr}: {e}"))?;
            servers.push(server);
        }
        Ok(Reference { servers, im })
    }

    /// The addresses actually bound.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.servers.iter().map(Server::local_addr).collect()
    }

    /// Connection tasks alive, over every listener.
    pub fn active_connections(&self) -> usize {
        self.servers.iter().map(Server::active_connections).sum()
    }

    /// Stops every accept loop.
    pub async fn shutdown(self) {
        for s in self.servers {
            s.shutdown().await;
        }
    }
}
