//! An established stream over TCP, as [`Client`](crate::Client) and
//! [`Component`](crate::Component) both use it: negotiation driven to its typed outcome
//! (the core's [`Login`]), then sending, receiving with keepalives and timers running, and the
//! closing handshake.

use std::collections::VecDeque;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use xmpp_stream::connection::{Event, LoggedIn, Login};
use xmpp_stream::xml::Element;

use crate::driver::Driver;
use crate::error::Error;

/// A negotiated stream and the stanzas that arrived while negotiation was finishing.
#[derive(Debug)]
pub(crate) struct Link {
    driver: Driver<TcpStream>,
    early: VecDeque<Event>,
}

impl Link {
    /// Drives `driver` until its login is decided (by `deadline`).
    pub(crate) fn establish(
        mut driver: Driver<TcpStream>,
        deadline: Instant,
    ) -> Result<(Link, LoggedIn), Error> {
        let mut early = VecDeque::new();
        let mut login = Login::new();
        loop {
            match driver.next_event(Some(deadline)) {
                Ok(None) => return Err(Error::Timeout { during: "login" }),
                Ok(Some(ev @ Event::Stanza(_))) => early.push_back(ev),
                Ok(Some(ev)) => match login.observe(&ev) {
                    Some(Ok(done)) => return Ok((Link { driver, early }, done)),
                    Some(Err(e)) => return Err(Error::Login(e)),
                    None => tracing::debug!(?ev, "negotiation event"),
                },
                Err(Error::Closed(reason)) => return Err(Error::Login(reason.into())),
                Err(e) => return Err(e),
            }
        }
    }

    pub(crate) fn driver(&self) -> &Driver<TcpStream> {
        &self.driver
    }

    pub(crate) fn driver_mut(&mut self) -> &mut Driver<TcpStream> {
        &mut self.driver
    }

    pub(crate) fn send(&mut self, stanza: &Element) -> Result<(), Error> {
        self.driver.send(stanza)
    }

    pub(crate) fn recv(&mut self) -> Result<Event, Error> {
        if let Some(ev) = self.early.pop_front() {
            return Ok(ev);
        }
        loop {
            if let Some(ev) = self.driver.next_event(None)? {
                return Ok(ev);
            }
        }
    }

    pub(crate) fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Event>, Error> {
        if let Some(ev) = self.early.pop_front() {
            return Ok(Some(ev));
        }
        self.driver.next_event(Some(Instant::now() + timeout))
    }

    pub(crate) fn close(mut self) -> Result<(), Error> {
        self.driver.connection_mut().close();
        loop {
            match self.driver.next_event(None) {
                Ok(Some(Event::Closed(reason))) => {
                    return match Error::from_close(&reason) {
                        None | Some(Error::Closed(_)) => Ok(()),
                        Some(e) => Err(e),
                    };
                }
                Ok(_) => {}
                Err(Error::Closed(_)) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
}
