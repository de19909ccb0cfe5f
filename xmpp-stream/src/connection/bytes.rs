//! The byte paths of a machine: plaintext and TLS records in, the input loop that frames
//! them into headers and elements, bytes out (through TLS when it is on), stream restarts,
//! and the ways a stream ends (stream error, closing tag, TLS failure).

use std::time::Instant;

use super::state::{Phase, Side};
use super::{CloseReason, Connection, Event, IDLE_OUTPUT_CAPACITY, NegotiationFailure};
use crate::framing::Inbound;
use crate::header::{Role, Version};
use crate::stream_error::{StreamCondition, StreamError};
use crate::tls_failure::TlsFailure;
use crate::xml::{Element, StreamHeader, WriteError, ns};

impl Connection {
    pub(super) fn touch_rx(&mut self, now: Instant) {
        if let Some(idle) = self.profile.idle_timeout {
            self.timers.idle_deadline = Some(now + idle);
        }
    }

    pub(super) fn touch_tx(&mut self, now: Instant) {
        if let Some(k) = self.profile.keepalive_interval {
            self.timers.next_keepalive = Some(now + k);
        }
    }

    /// Ciphertext in: decrypt, move TLS output to `out`, react to the end of the
    /// handshake, and feed any plaintext to the XML reader.
    ///
    /// Tolerance (DESIGN.md, interoperability rules): deployed clients write a newline after
    /// `<starttls/>` and some servers one after `<proceed/>`; Prosody and ejabberd accept it.
    /// Whitespace between the STARTTLS element and the peer's first TLS record is skipped, in
    /// whatever reads it arrives. It cannot be the start of a record (content types are 20 to
    /// 24, whitespace is 9, 10, 13 and 32), so nothing that TLS would accept is dropped; any
    /// other byte goes to rustls, which refuses it.
    pub(super) fn feed_ciphertext(&mut self, bytes: &[u8]) {
        let bytes = if self.progress.tls_handover {
            let skip = bytes
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .count();
            if skip == bytes.len() {
                return;
            }
            self.progress.tls_handover = false;
            &bytes[skip..]
        } else {
            bytes
        };
        let Some(tls) = self.tls.as_mut() else {
            return;
        };
        let was_handshaking = tls.is_handshaking();
        let mut plain = std::mem::take(&mut self.scratch);
        plain.clear();
        let result = tls.read_ciphertext(bytes, &mut plain);
        tls.take_ciphertext(&mut self.out);
        match result {
            Ok(_) => {}
            Err(e) => {
                self.scratch = plain;
                self.finish(CloseReason::TlsFailed(e.into()));
                return;
            }
        }
        let handshake_done = was_handshaking && !tls.is_handshaking();
        let peer_closed = tls.peer_closed();
        if handshake_done {
            self.on_tls_established();
        }
        if !plain.is_empty() && self.phase() != Phase::Closed {
            self.feed_plain(&plain);
        }
        self.scratch = plain;
        if peer_closed && self.phase() != Phase::Closed {
            self.finish(CloseReason::TransportClosed);
        }
    }

    pub(super) fn on_tls_established(&mut self) {
        self.progress.tls_done = true;
        if let Some(id) = self.tls.as_ref().and_then(|t| t.peer_identity()) {
            self.events.push_back(Event::TlsEstablished(id));
        }
        if self.phase() == Phase::TlsHandshake {
            // STARTTLS: everything learned in the clear is discarded; a new stream begins.
            self.restart_stream();
            if self.role() == Role::Initiator {
                self.send_initial_header();
            }
        }
        self.flush_tls();
    }

    /// Moves pending TLS output into `out`.
    pub(super) fn flush_tls(&mut self) {
        if let Some(tls) = self.tls.as_mut() {
            tls.take_ciphertext(&mut self.out);
        }
    }

    /// Plaintext out, through TLS when active.
    pub(super) fn write_raw(&mut self, bytes: &[u8]) {
        if let Some(tls) = self.tls.as_mut() {
            if tls.write_plaintext(bytes).is_err() {
                self.finish(CloseReason::TlsFailed(TlsFailure::BufferFull));
                return;
            }
            tls.take_ciphertext(&mut self.out);
        } else {
            self.out.extend_from_slice(bytes);
        }
    }

    pub(super) fn write_element(&mut self, el: &Element) {
        if self.encode(el).is_err() {
            tracing::warn!(name = el.name(), "internal element could not be written");
        }
    }

    /// Serialises an element for the transport without a temporary allocation: straight into
    /// the output buffer, or through the reused encoding buffer into TLS. Nothing is written
    /// when the element cannot be serialised.
    pub(super) fn encode(&mut self, el: &Element) -> Result<(), WriteError> {
        if self.tls.is_none() {
            return self.writer.write_element(el, &mut self.out);
        }
        let mut buf = std::mem::take(&mut self.encode_buf);
        let result = self.writer.write_element(el, &mut buf);
        if result.is_ok() {
            self.write_raw(&buf);
        }
        buf.clear();
        if buf.capacity() <= IDLE_OUTPUT_CAPACITY {
            self.encode_buf = buf;
        }
        result
    }

    pub(super) fn write_close_tag(&mut self) {
        let mut buf = Vec::new();
        self.writer.write_stream_close(&mut buf);
        self.write_raw(&buf);
        self.flush_tls();
    }

    pub(super) fn write_header(&mut self, header: &StreamHeader) {
        let mut buf = Vec::new();
        if self.writer.write_stream_header(header, &mut buf).is_ok() {
            self.write_raw(&buf);
        } else {
            tracing::warn!("stream header could not be written");
        }
    }

    /// Forgets the current stream (restart after TLS or SASL): parser, writer context and
    /// what was learned about the stream; buffered input bytes are kept.
    pub(super) fn restart_stream(&mut self) {
        self.framer.restart();
        self.writer.reset();
        if let Side::Receiver { header_sent, .. } = &mut *self.side {
            *header_sent = false;
        }
        self.progress.stream_id = None;
        self.set_phase(Phase::AwaitHeader);
    }

    pub(super) fn new_stream_id(&mut self) -> String {
        use base64::Engine as _;
        let mut b = [0u8; 18];
        self.rng.fill_bytes(&mut b);
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    pub(super) fn new_iq_id(&mut self, prefix: &str) -> String {
        let mut b = [0u8; 6];
        self.rng.fill_bytes(&mut b);
        let mut s = String::with_capacity(prefix.len() + 12);
        s.push_str(prefix);
        for byte in b {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            s.push(char::from(HEX[usize::from(byte >> 4)]));
            s.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        s
    }

    // ------------------------------------------------------------------ ending

    /// Sends a stream error (preceded by our header if the receiver has not sent one yet),
    /// the closing tag, and ends the machine.
    pub(super) fn fail(&mut self, error: StreamError) {
        if self.phase() == Phase::Closed {
            return;
        }
        tracing::debug!(condition = %error.condition(), "sending stream error");
        let header_owed = matches!(
            &*self.side,
            Side::Receiver {
                header_sent: false,
                ..
            }
        );
        if header_owed && self.phase() != Phase::TlsHandshake {
            self.send_response_header(None, Some(Version::V1_0));
        }
        if !matches!(self.phase(), Phase::TlsHandshake | Phase::Closing) {
            self.write_element(&error.to_element());
            self.write_close_tag();
        }
        self.finish(CloseReason::LocalError(error));
    }

    /// Ends the machine with `reason` (no more bytes are produced except TLS alerts).
    pub(super) fn finish(&mut self, reason: CloseReason) {
        if self.phase() == Phase::Closed {
            return;
        }
        if let Some(tls) = self.tls.as_mut() {
            if !tls.is_handshaking() && !matches!(reason, CloseReason::TlsFailed(_)) {
                tls.send_close_notify();
            }
            tls.take_ciphertext(&mut self.out);
        }
        self.set_phase(Phase::Closed);
        self.held = false;
        if let Some(session) = self.take_stream_management() {
            self.events.push_back(Event::Detached(Box::new(session)));
        }
        self.events.push_back(Event::Closed(reason));
    }

    /// The initiator gives up: closing tag, then closed.
    pub(super) fn give_up(&mut self, why: NegotiationFailure) {
        tracing::debug!(%why, "negotiation failed");
        self.write_close_tag();
        self.finish(CloseReason::NegotiationFailed(why));
    }

    // ------------------------------------------------------------------ input loop

    pub(super) fn process_input(&mut self) {
        loop {
            if self.held
                || matches!(self.phase(), Phase::Closed | Phase::TlsHandshake)
                || self.owes_decision()
            {
                return;
            }
            if self.events.len() >= self.profile.limits.max_pending_events
                || self.pending_out_len() > self.profile.limits.max_pending_output
            {
                self.held = true;
                return;
            }
            match self.framer.next() {
                Ok(None) => {
                    self.framer.release_if_empty();
                    return;
                }
                Ok(Some(Inbound::Header(h))) => self.on_header(h),
                Ok(Some(Inbound::Close)) => self.on_peer_close(),
                Ok(Some(Inbound::Element(el))) => self.on_element(el),
                Err(e) => {
                    self.fail(e);
                    return;
                }
            }
            self.flush_tls();
        }
    }

    pub(super) fn on_peer_close(&mut self) {
        if let Some(refused) = self.take_refused_header() {
            self.fail(refused);
            return;
        }
        if self.phase() != Phase::Closing {
            self.sm_ack_before_close();
            self.write_close_tag();
        }
        self.finish(CloseReason::Graceful);
    }

    pub(super) fn on_header(&mut self, h: StreamHeader) {
        if self.phase() != Phase::AwaitHeader {
            // A second header inside the stream.
            self.fail(
                StreamError::new(StreamCondition::BadFormat)
                    .with_text("en", "unexpected stream header"),
            );
            return;
        }
        match self.role() {
            Role::Receiver => self.on_initial_header(h),
            Role::Initiator => self.on_response_header(h),
        }
    }

    pub(super) fn on_element(&mut self, el: Element) {
        if el.is("error", ns::STREAM) {
            let err = StreamError::from_element(&el)
                .unwrap_or_else(|_| StreamError::new(StreamCondition::UndefinedCondition));
            self.events.push_back(Event::StreamError(err.clone()));
            if self.phase() != Phase::Closing {
                self.write_close_tag();
            }
            self.finish(CloseReason::PeerError(err));
            return;
        }
        if let Some(refused) = self.take_refused_header() {
            self.fail(refused);
            return;
        }
        match self.phase() {
            Phase::AwaitHeader => {
                self.fail(StreamError::new(StreamCondition::BadFormat));
            }
            Phase::Established => self.on_stanza(el),
            Phase::Closing if self.progress.established => self.on_stanza(el),
            // We closed during negotiation: the peer's remaining negotiation elements
            // (found by the conn_structured fuzz target) are not stanzas; drop them.
            Phase::Closing => {
                tracing::debug!(element = el.name(), "element after our closing tag ignored");
            }
            // Each role reads the rest in its own phase type.
            _ => match *self.side {
                Side::Initiator { phase, .. } => self.initiator_element(phase, el),
                Side::Receiver { phase, .. } => self.receiver_element(phase, el),
            },
        }
    }
}
