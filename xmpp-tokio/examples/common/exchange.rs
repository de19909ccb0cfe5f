//! The IM exchange the interop tests run between two logged-in peers on any server: roster
//! fetch, initial presence, the subscription handshake both ways, each seeing the other's
//! presence, and a message each way. Every wait is bounded.

#![allow(dead_code)]

use std::time::Duration;

use xmpp_stream::xml::Element;

use super::ns::{NS_CLIENT, NS_ROSTER};
use super::peer::Peer;

const STEP: Duration = Duration::from_secs(15);

fn bare(jid: &str) -> &str {
    jid.split('/').next().unwrap_or(jid)
}

fn is_presence(el: &Element, ty: Option<&str>, from_bare: &str) -> bool {
    el.name() == "presence"
        && el.attr("type") == ty
        && el.attr("from").is_some_and(|f| bare(f) == from_bare)
}

fn presence(to: &str, ty: &str) -> Element {
    Element::builder("presence", NS_CLIENT)
        .attr("to", to.to_owned())
        .attr("type", ty.to_owned())
        .build()
}

fn chat(to: &str, body: &str) -> Element {
    Element::builder("message", NS_CLIENT)
        .attr("to", to.to_owned())
        .attr("type", "chat")
        .child(Element::builder("body", NS_CLIENT).text(body.to_owned()))
        .build()
}

/// Runs the exchange; returns the two messages as received (`FROM: BODY`).
pub async fn run(a: &mut Peer, b: &mut Peer) -> Result<Vec<String>, String> {
    let a_bare = a.client.jid.to_bare().as_str().to_owned();
    let b_bare = b.client.jid.to_bare().as_str().to_owned();
    for p in [&mut *a, &mut *b] {
        p.iq("get", None, Element::new("query", NS_ROSTER)).await?;
        p.send(Element::new("presence", NS_CLIENT)).await?;
    }
    a.send(presence(&b_bare, "subscribe")).await?;
    b.expect("a subscription request", STEP, |e| {
        is_presence(e, Some("subscribe"), &a_bare).then_some(())
    })
    .await?;
    b.send(presence(&a_bare, "subscribed")).await?;
    b.send(presence(&a_bare, "subscribe")).await?;
    a.expect("the approval", STEP, |e| {
        is_presence(e, Some("subscribed"), &b_bare).then_some(())
    })
    .await?;
    a.expect("the request back", STEP, |e| {
        is_presence(e, Some("subscribe"), &b_bare).then_some(())
    })
    .await?;
    a.send(presence(&b_bare, "subscribed")).await?;
    a.expect("the contact's presence", STEP, |e| {
        is_presence(e, None, &b_bare).then_some(())
    })
    .await?;
    b.expect("the contact's presence", STEP, |e| {
        is_presence(e, None, &a_bare).then_some(())
    })
    .await?;
    // Both rosters now hold the other with subscription both.
    for (p, other) in [(&mut *a, &b_bare), (&mut *b, &a_bare)] {
        let r = p.iq("get", None, Element::new("query", NS_ROSTER)).await?;
        let sub = r
            .child("query", NS_ROSTER)
            .and_then(|q| {
                q.children()
                    .find(|i| i.attr("jid") == Some(other.as_str()))
                    .map(|i| i.attr("subscription").unwrap_or("none").to_owned())
            })
            .ok_or_else(|| format!("{}: {other} missing from the roster", p.name))?;
        if sub != "both" {
            return Err(format!(
                "{}: subscription to {other} is {sub}, not both",
                p.name
            ));
        }
    }
    let mut got = Vec::new();
    let body = |e: &Element| {
        (e.name() == "message")
            .then(|| e.child_text("body", NS_CLIENT))
            .flatten()
            .map(|t| format!("{}: {t}", e.attr("from").unwrap_or("?")))
    };
    a.send(chat(&b_bare, "ping from a")).await?;
    got.push(b.expect("a's message", STEP, body).await?);
    b.send(chat(&a_bare, "pong from b")).await?;
    got.push(a.expect("b's message", STEP, body).await?);
    Ok(got)
}
