//! A small load run against the reference server on loopback (not part of the issue's
//! command-line contract):
//!
//! ```text
//! cargo run -p xmpp-tokio --example load -- [PAIRS] [MESSAGES]
//! ```
//!
//! Starts the server, logs in PAIRS × 2 clients (SCRAM over STARTTLS), then each pair sends
//! MESSAGES messages each way, one at a time (send, wait for it to arrive). Prints logins per
//! second and delivered messages per second.

#[path = "common/im_server.rs"]
mod im_server;
#[path = "common/peer.rs"]
mod peer;
#[path = "common/setup.rs"]
mod setup;
#[path = "common/tls.rs"]
mod tls;

use std::time::{Duration, Instant};

use xmpp_stream::xml::Element;
use xmpp_tokio::ClientConfig;

async fn run(pairs: usize, messages: usize) -> Result<(), String> {
    let material = tls::TlsMaterial::generate("localhost")?;
    let users: Vec<(String, String)> = (0..pairs * 2)
        .map(|i| (format!("u{i}"), "secret".to_owned()))
        .collect();
    let server = setup::Reference::start(
        &["127.0.0.1:0".parse().map_err(|e| format!("{e}"))?],
        "localhost",
        &users,
        &material,
    )
    .await?;
    let addr = server.addrs()[0];
    let trust = material.client_config()?;
    let t0 = Instant::now();
    let mut logins = Vec::new();
    for (u, _) in &users {
        let cfg = ClientConfig::new(trust.clone()).with_server(addr.ip().to_string(), addr.port());
        let jid = format!("{u}@localhost")
            .parse()
            .map_err(|e| format!("{e}"))?;
        logins.push(tokio::spawn(async move {
            xmpp_tokio::connect(&jid, "secret", &cfg).await
        }));
    }
    let mut peers = Vec::new();
    for (i, l) in logins.into_iter().enumerate() {
        let c = l
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        peers.push(peer::Peer::new(&format!("u{i}"), c));
    }
    let login_time = t0.elapsed();
    for p in &peers {
        p.send(Element::new("presence", "jabber:client")).await?;
    }
    let t1 = Instant::now();
    let mut tasks = Vec::new();
    let mut it = peers.into_iter();
    while let (Some(mut a), Some(mut b)) = (it.next(), it.next()) {
        tasks.push(tokio::spawn(async move {
            let a_jid = a.client.jid.to_string();
            let b_jid = b.client.jid.to_string();
            for n in 0..messages {
                for dir in 0..2 {
                    let (from, to, to_jid) = if dir == 0 {
                        (&mut a, &mut b, &b_jid)
                    } else {
                        (&mut b, &mut a, &a_jid)
                    };
                    let body = format!("m{n}");
                    let msg = Element::builder("message", "jabber:client")
                        .attr("to", to_jid.clone())
                        .attr("type", "chat")
                        .child(Element::builder("body", "jabber:client").text(body.clone()))
                        .build();
                    from.send(msg).await?;
                    to.expect("a message", Duration::from_secs(30), |e| {
                        (e.child_text("body", "jabber:client").as_deref() == Some(body.as_str()))
                            .then_some(())
                    })
                    .await?;
                }
            }
            a.close().await?;
            b.close().await?;
            Ok::<(), String>(())
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    let msg_time = t1.elapsed();
    let delivered = pairs * messages * 2;
    println!(
        "{} logins in {:.2?} ({:.0}/s); {} messages in {:.2?} ({:.0}/s, each sent after the previous arrived, {} pairs in parallel)",
        pairs * 2,
        login_time,
        (pairs * 2) as f64 / login_time.as_secs_f64(),
        delivered,
        msg_time,
        delivered as f64 / msg_time.as_secs_f64(),
        pairs
    );
    server.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let pairs = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let messages = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    match tokio::time::timeout(Duration::from_secs(600), run(pairs, messages)).await {
        Ok(Ok(())) => std::process::ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("error: timed out");
            std::process::ExitCode::FAILURE
        }
    }
}
