//! A logged-in client with an inbox: waits for a stanza matching a test, keeping the others
//! for later waits, every wait bounded in time.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::time::Duration;

use xmpp_stream::connection::Event;
use xmpp_stream::xml::Element;
use xmpp_tokio::Client;

use super::ns::NS_CLIENT;

pub struct Peer {
    pub name: String,
    pub client: Client,
    inbox: VecDeque<Element>,
    next_id: u32,
}

impl Peer {
    pub fn new(name: &str, client: Client) -> Peer {
        Peer {
            name: name.to_owned(),
            client,
            inbox: VecDeque::new(),
            next_id: 0,
        }
    }

    pub fn id(&mut self) -> String {
        self.next_id += 1;
        format!("{}{}", self.name, self.next_id)
    }

    pub async fn send(&self, el: Element) -> Result<(), String> {
        self.client
            .handle
            .send(el)
            .await
            .map_err(|e| format!("{}: send failed: {e}", self.name))
    }

    /// The first stanza (queued or arriving within `limit`) for which `test` says yes.
    pub async fn expect<T>(
        &mut self,
        what: &str,
        limit: Duration,
        mut test: impl FnMut(&Element) -> Option<T>,
    ) -> Result<T, String> {
        if let Some(pos) = self.inbox.iter().position(|e| test(e).is_some()) {
            if let Some(el) = self.inbox.remove(pos) {
                if let Some(t) = test(&el) {
                    return Ok(t);
                }
            }
        }
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let ev = tokio::time::timeout_at(deadline, self.client.events.next())
                .await
                .map_err(|_| format!("{}: timed out waiting for {what}", self.name))?;
            match ev {
                Some(Event::Stanza(el)) => {
                    if let Some(t) = test(&el) {
                        return Ok(t);
                    }
                    if self.inbox.len() < 1024 {
                        self.inbox.push_back(el);
                    }
                }
                Some(Event::Closed(r)) => {
                    return Err(format!("{}: closed ({r:?}) waiting for {what}", self.name));
                }
                Some(_) => {}
                None => return Err(format!("{}: connection gone waiting for {what}", self.name)),
            }
        }
    }

    /// Sends an IQ and waits for its result (an error answer is an `Err`).
    pub async fn iq(
        &mut self,
        ty: &str,
        to: Option<&str>,
        payload: Element,
    ) -> Result<Element, String> {
        let id = self.id();
        let el = Element::builder("iq", NS_CLIENT)
            .attr("type", ty.to_owned())
            .attr("id", id.clone())
            .attr_opt("to", to.map(str::to_owned))
            .child(payload)
            .build();
        self.send(el).await?;
        let answer = self
            .expect(
                &format!("the answer to IQ {id}"),
                Duration::from_secs(10),
                |e| {
                    (e.name() == "iq"
                        && e.attr("id") == Some(id.as_str())
                        && matches!(e.attr("type"), Some("result" | "error")))
                    .then(|| e.clone())
                },
            )
            .await?;
        if answer.attr("type") == Some("error") {
            return Err(format!(
                "{}: IQ {id} failed: {}",
                self.name,
                answer.to_xml().unwrap_or_default()
            ));
        }
        Ok(answer)
    }

    /// Closes the stream and waits (bounded) for the end.
    pub async fn close(mut self) -> Result<(), String> {
        let _ = self.client.handle.close().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, self.client.events.next()).await {
                Ok(Some(Event::Closed(_))) | Ok(None) => return Ok(()),
                Ok(Some(_)) => {}
                Err(_) => return Err(format!("{}: close timed out", self.name)),
            }
        }
    }
}
