//! The fast path: framing a first-level element with the one-pass tokenizer (`tokens`) and
//! building it from the kept tokens.
//!
//! [`frame`](TreeBuilder::frame) runs the tokenizer over the receive buffer and keeps its
//! tokens when the whole element is there in the syntax it owns; the reader then skips the
//! framing scanner. [`element_fast`](TreeBuilder::element_fast) feeds those tokens to the
//! shared tag handling (`builder`). Every error, the tokenizer's or the tree's, is only
//! [`Bail`]: the unit is then read again by the `xmlparser` path, which decides the outcome.

use crate::xml::element::Element;
use crate::xml::limits::ReaderLimits;
use crate::xml::shared_str::SharedStr;
use crate::xml::tokens::{Bail, Tok, Tokens};

use super::builder::{Context, TreeBuilder};

/// The first-level element is complete: it must end the unit (`left` tokens remain).
fn finished(element: Element, left: usize) -> Result<Element, Bail> {
    if left > 0 {
        return Err(Bail);
    }
    Ok(element)
}

impl TreeBuilder {
    /// Runs the fast tokenizer over `bytes` (the receive buffer, or a unit), which start
    /// with a first-level element, and keeps its tokens. Returns the element's length if
    /// the whole element is there, in the syntax the fast tokenizer owns, and within the
    /// size and depth limits; otherwise `Err` with how many bytes it looked at (the framing
    /// scanner and `xmlparser` then decide). Gives up at the size limit, so it looks at no
    /// more than that many bytes.
    pub(crate) fn frame(&mut self, bytes: &[u8], limits: &ReaderLimits) -> Result<usize, usize> {
        self.toks.clear();
        let bytes = &bytes[..bytes.len().min(limits.max_element_bytes)];
        let mut tokens = Tokens::new(bytes);
        let mut depth = 0usize;
        while let Some(token) = tokens.next() {
            let Ok(token) = token else {
                return Err(tokens.pos());
            };
            let end = match token {
                Tok::Open => {
                    depth += 1;
                    if depth > limits.max_depth {
                        return Err(tokens.pos());
                    }
                    false
                }
                Tok::Empty => depth == 0,
                Tok::Close { .. } => {
                    let Some(d) = depth.checked_sub(1) else {
                        return Err(tokens.pos());
                    };
                    depth = d;
                    depth == 0
                }
                Tok::Text(_) if depth == 0 => return Err(tokens.pos()),
                _ => false,
            };
            self.toks.push(token);
            if end {
                return Ok(tokens.pos());
            }
        }
        Err(tokens.pos())
    }

    /// The first-level element whose complete bytes are `unit`, from the fast tokenizer's
    /// tokens of it. Any error, its own or the tree's, is only `Bail`: the caller then reads
    /// the unit the complete way, which is what decides the error. So this path only has to
    /// be right when it succeeds.
    pub(super) fn element_fast(
        &mut self,
        unit: &SharedStr,
        toks: &[Tok],
        ctx: &Context,
        limits: &ReaderLimits,
        offset: u64,
    ) -> Result<Element, Bail> {
        let text = unit.as_str();
        let mut start = None;
        let mut tokens = toks.iter().copied();
        while let Some(token) = tokens.next() {
            match token {
                Tok::Start { prefix, local } => {
                    start = Some(
                        self.start_tag(text, prefix.range(), local.range(), limits, offset)
                            .map_err(|_| Bail)?,
                    );
                }
                Tok::Attr {
                    prefix,
                    local,
                    value,
                    plain,
                } => {
                    self.attribute(
                        text,
                        (prefix.range(), local.range()),
                        value.range(),
                        plain,
                        limits,
                        offset,
                    )
                    .map_err(|_| Bail)?;
                }
                end @ (Tok::Open | Tok::Empty) => {
                    let start = start.take().ok_or(Bail)?;
                    self.open_element(unit, ctx, start, limits, offset)
                        .map_err(|_| Bail)?;
                    if end == Tok::Empty {
                        if let Some(done) = self.close() {
                            return finished(done, tokens.len());
                        }
                    }
                }
                Tok::Close { prefix, local } => {
                    let (prefix, local) = (&text[prefix.range()], &text[local.range()]);
                    self.check_end_tag(text, prefix, local, offset)
                        .map_err(|_| Bail)?;
                    if let Some(done) = self.close() {
                        return finished(done, tokens.len());
                    }
                }
                Tok::Text(range) => {
                    self.text(unit, &text[range.range()], offset)
                        .map_err(|_| Bail)?;
                }
            }
        }
        Err(Bail)
    }
}
