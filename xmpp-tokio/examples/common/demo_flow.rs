//! The demo conversation: the reference server on loopback, alice and bob log in with SCRAM
//! over STARTTLS, fetch their rosters, exchange a subscription, see each other's presence,
//! chat, and log out. Every step is reported through `say` as one readable line.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use xmpp_stream::xml::Element;
use xmpp_tokio::ClientConfig;

use super::ns::{NS_CLIENT, NS_DISCO_INFO, NS_PING, NS_ROSTER, NS_VERSION};
use super::peer::Peer;
use super::setup::Reference;
use super::tls::TlsMaterial;

const DOMAIN: &str = "localhost";
const STEP: Duration = Duration::from_secs(10);

fn body_of(el: &Element) -> Option<String> {
    (el.name() == "message")
        .then(|| el.child_text("body", NS_CLIENT).map(|b| b.into_owned()))
        .flatten()
}

fn presence_from(el: &Element, ty: Option<&str>, from_bare: &str) -> bool {
    el.name() == "presence"
        && el.attr("type") == ty
        && el
            .attr("from")
            .is_some_and(|f| f.split('/').next() == Some(from_bare))
}

async fn login(
    name: &str,
    addr: SocketAddr,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<Peer, String> {
    let mut cfg = ClientConfig::new(tls.clone()).with_server(addr.ip().to_string(), addr.port());
    cfg.resource = Some("demo".into());
    let jid = format!("{name}@{DOMAIN}")
        .parse()
        .map_err(|e| format!("{name}: {e}"))?;
    let client = xmpp_tokio::connect(&jid, "secret", &cfg)
        .await
        .map_err(|e| format!("{name}: login failed: {e}"))?;
    Ok(Peer::new(name, client))
}

/// Runs the conversation; `say` gets each line.
pub async fn run(say: &mut dyn FnMut(String)) -> Result<(), String> {
    let tls = TlsMaterial::generate(DOMAIN)?;
    let users = [
        ("alice".to_owned(), "secret".to_owned()),
        ("bob".to_owned(), "secret".to_owned()),
    ];
    let listen: SocketAddr = "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?;
    let server = Reference::start(&[listen], DOMAIN, &users, &tls).await?;
    let addr = server.addrs()[0];
    say(format!(
        "server: listening on {addr} for {DOMAIN} (STARTTLS required, self-signed certificate made in memory)"
    ));
    let trust = tls.client_config()?;

    let mut alice = login("alice", addr, &trust).await?;
    say(format!(
        "alice: logged in as {} ({}, {})",
        alice.client.jid,
        if alice.client.tls { "TLS" } else { "no TLS" },
        alice.client.mechanism
    ));
    let mut bob = login("bob", addr, &trust).await?;
    say(format!(
        "bob: logged in as {} ({}, {})",
        bob.client.jid,
        if bob.client.tls { "TLS" } else { "no TLS" },
        bob.client.mechanism
    ));

    for peer in [&mut alice, &mut bob] {
        let roster = peer
            .iq("get", None, Element::new("query", NS_ROSTER))
            .await?;
        let n = roster
            .child("query", NS_ROSTER)
            .map_or(0, |q| q.children().count());
        say(format!("{}: roster has {n} contact(s)", peer.name));
        peer.send(Element::new("presence", NS_CLIENT)).await?;
        say(format!("{}: sent initial presence", peer.name));
    }

    // Alice asks for bob's presence; bob approves and asks back; alice approves.
    let bob_bare = format!("bob@{DOMAIN}");
    let alice_bare = format!("alice@{DOMAIN}");
    let subscribe = |to: &str, ty: &str| {
        Element::builder("presence", NS_CLIENT)
            .attr("to", to.to_owned())
            .attr("type", ty.to_owned())
            .build()
    };
    alice.send(subscribe(&bob_bare, "subscribe")).await?;
    say("alice: asks to see bob's presence".into());
    bob.expect("alice's subscription request", STEP, |e| {
        presence_from(e, Some("subscribe"), &alice_bare).then_some(())
    })
    .await?;
    say("bob: received alice's subscription request".into());
    bob.send(subscribe(&alice_bare, "subscribed")).await?;
    say("bob: approves, and asks to see alice's presence in return".into());
    bob.send(subscribe(&alice_bare, "subscribe")).await?;
    alice
        .expect("bob's approval", STEP, |e| {
            presence_from(e, Some("subscribed"), &bob_bare).then_some(())
        })
        .await?;
    say("alice: bob approved the subscription".into());
    alice
        .expect("bob's subscription request", STEP, |e| {
            presence_from(e, Some("subscribe"), &alice_bare.replace("alice", "bob")).then_some(())
        })
        .await?;
    alice.send(subscribe(&bob_bare, "subscribed")).await?;
    say("alice: approves bob's request".into());

    let seen = alice
        .expect("bob's presence", STEP, |e| {
            presence_from(e, None, &bob_bare).then(|| e.attr("from").unwrap_or("").to_owned())
        })
        .await?;
    say(format!("alice: sees {seen} online"));
    let seen = bob
        .expect("alice's presence", STEP, |e| {
            presence_from(e, None, &alice_bare).then(|| e.attr("from").unwrap_or("").to_owned())
        })
        .await?;
    say(format!("bob: sees {seen} online"));

    let roster = alice
        .iq("get", None, Element::new("query", NS_ROSTER))
        .await?;
    let items: Vec<String> = roster
        .child("query", NS_ROSTER)
        .map(|q| {
            q.children()
                .map(|i| {
                    format!(
                        "{} (subscription {})",
                        i.attr("jid").unwrap_or(""),
                        i.attr("subscription").unwrap_or("none")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    say(format!("alice: roster: {}", items.join(", ")));

    // Messages both ways.
    let chat = |to: &str, body: &str| {
        Element::builder("message", NS_CLIENT)
            .attr("to", to.to_owned())
            .attr("type", "chat")
            .child(Element::builder("body", NS_CLIENT).text(body.to_owned()))
            .build()
    };
    alice
        .send(chat(&bob_bare, "Hello Bob, are you there?"))
        .await?;
    let (from, body) = bob
        .expect("alice's message", STEP, |e| {
            body_of(e).map(|b| (e.attr("from").unwrap_or("").to_owned(), b))
        })
        .await?;
    say(format!("{from} -> bob: {body}"));
    bob.send(chat(&from, "Hi Alice, loud and clear.")).await?;
    let (from, body) = alice
        .expect("bob's reply", STEP, |e| {
            body_of(e).map(|b| (e.attr("from").unwrap_or("").to_owned(), b))
        })
        .await?;
    say(format!("{from} -> alice: {body}"));

    // The server answers ping, version and disco#info.
    alice
        .iq("get", Some(DOMAIN), Element::new("ping", NS_PING))
        .await?;
    say("alice: pinged the server".into());
    let v = alice
        .iq("get", Some(DOMAIN), Element::new("query", NS_VERSION))
        .await?;
    let name = v
        .child("query", NS_VERSION)
        .and_then(|q| q.child_text("name", NS_VERSION).map(|s| s.into_owned()))
        .unwrap_or_default();
    say(format!("alice: server software is {name:?}"));
    let d = alice
        .iq("get", Some(DOMAIN), Element::new("query", NS_DISCO_INFO))
        .await?;
    let features = d
        .child("query", NS_DISCO_INFO)
        .map_or(0, |q| q.children_named("feature", NS_DISCO_INFO).count());
    say(format!("alice: server announces {features} features"));

    alice.close().await?;
    let gone = bob
        .expect("alice going offline", STEP, |e| {
            presence_from(e, Some("unavailable"), &alice_bare).then_some(())
        })
        .await;
    if gone.is_ok() {
        say("bob: alice went offline".into());
    }
    gone?;
    bob.close().await?;
    say("alice, bob: logged out".into());
    server.shutdown().await;
    say("server: stopped".into());
    Ok(())
}
