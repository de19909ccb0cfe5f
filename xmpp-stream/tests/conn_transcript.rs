//! Client machine against server machine, in memory, with a fake clock and deterministic
//! random sources: every negotiation path end to end.

mod conn_support;

use conn_support::*;
use xmpp_stream::connection::{CloseReason, Event};

fn opened_id(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StreamOpened { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn smoke_plaintext_flow() {
    let mut c = client(ClientOpts::plaintext());
    let mut s = plaintext_server();
    let mut t = Transcript::default();
    pump(&mut c, &mut s, secs(0), &mut t);
    eprintln!("C: {}\nS: {}", t.c2s_str(), t.s2c_str());
    eprintln!("{:?}\n{:?}", t.client_events, t.server_events);
    assert!(c.is_established());
    assert!(s.is_established());
    let _ = opened_id(&t.client_events);
    let _ = CloseReason::Graceful;
}
