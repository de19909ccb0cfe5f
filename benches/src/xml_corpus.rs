//! Realistic XMPP traffic for the XML benchmarks: a chat message (body, thread, chat state,
//! delay, origin id), a presence with entity capabilities and an avatar hash, a roster result
//! with 200 items, and a 50 KiB stanza (a microblog pubsub event). All bytes are made by
//! `xmpp-stream`'s writer, so every implementation reads exactly the same input.

use xmpp_stream::xml::{Element, StreamHeader, Writer, ns};

/// One named input.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Short name, used as the benchmark id.
    pub name: &'static str,
    /// The element, standalone: it declares its own namespace.
    pub standalone: Vec<u8>,
    /// The element as a first-level element of a `jabber:client` stream (no declaration).
    pub in_stream: Vec<u8>,
}

fn sample(name: &'static str, element: &Element) -> Sample {
    let mut standalone = Vec::new();
    element
        .write_to(&mut standalone)
        .expect("corpus elements are valid");
    let mut in_stream = Vec::new();
    Writer::for_stream(&stream_header())
        .write_element(element, &mut in_stream)
        .expect("corpus elements are valid");
    Sample {
        name,
        standalone,
        in_stream,
    }
}

/// The header of the stream the samples are first-level elements of.
pub fn stream_header() -> StreamHeader {
    StreamHeader::new(ns::CLIENT)
        .with_from("example.com")
        .with_to("juliet@example.com")
        .with_id("gPybzaOzBmaADgxKXu9UClbprp0=")
        .with_version("1.0")
        .with_lang("en")
}

/// A one-to-one chat message as modern clients send it.
pub fn chat_message() -> Element {
    Element::builder("message", ns::CLIENT)
        .attr("from", "juliet@capulet.example/balcony")
        .attr("to", "romeo@montague.example/orchard")
        .attr("type", "chat")
        .attr("id", "msg-5f1c2a9e")
        .lang("en")
        .child(Element::builder("body", ns::CLIENT).text(
            "Art thou not Romeo, and a Montague? \"Neither, fair saint, if either thee dislike\" & so on.",
        ))
        .child(Element::builder("thread", ns::CLIENT).text("e0ffe42b28561960c6b12b944a092794b9683a38"))
        .child(Element::new("active", "http://jabber.org/protocol/chatstates"))
        .child(
            Element::builder("delay", "urn:xmpp:delay")
                .attr("from", "capulet.example")
                .attr("stamp", "2002-09-10T23:08:25Z")
                .text("Offline Storage"),
        )
        .child(
            Element::builder("origin-id", "urn:xmpp:sid:0")
                .attr("id", "de305d54-75b4-431b-adb2-eb6b9e546014"),
        )
        .build()
}

/// A presence update with XEP-0115 capabilities and a XEP-0153 avatar hash.
pub fn presence_with_caps() -> Element {
    Element::builder("presence", ns::CLIENT)
        .attr("from", "romeo@montague.example/orchard")
        .attr("id", "pres-77")
        .child(Element::builder("show", ns::CLIENT).text("away"))
        .child(Element::builder("status", ns::CLIENT).text("Under the balcony"))
        .child(Element::builder("priority", ns::CLIENT).text("5"))
        .child(
            Element::builder("c", "http://jabber.org/protocol/caps")
                .attr("hash", "sha-1")
                .attr("node", "https://gajim.org")
                .attr("ver", "QgayPKawpkPSDYmwT/WM94uAlu0="),
        )
        .child(
            Element::builder("x", "vcard-temp:x:update").child(
                Element::builder("photo", "vcard-temp:x:update")
                    .text("01b87fcd030b72895ff8e88db57ec525450f000d"),
            ),
        )
        .build()
}

/// A roster result (RFC 6121 §2.1.3) with `items` contacts.
pub fn roster_result(items: usize) -> Element {
    let groups = ["Friends", "Family", "Work", "Montagues & Capulets"];
    Element::builder("iq", ns::CLIENT)
        .attr("type", "result")
        .attr("id", "roster_1")
        .attr("to", "juliet@example.com/balcony")
        .child(
            Element::builder("query", "jabber:iq:roster")
                .attr("ver", "ver14")
                .children((0..items).map(|i| {
                    Element::builder("item", "jabber:iq:roster")
                        .attr("jid", format!("contact{i}@example.org"))
                        .attr("name", format!("Contact Number {i}"))
                        .attr("subscription", ["both", "to", "from"][i % 3])
                        .child(Element::builder("group", "jabber:iq:roster").text(groups[i % 4]))
                })),
        )
        .build()
}

/// A pubsub event carrying an Atom entry of about `bytes` bytes of text.
pub fn large_stanza(bytes: usize) -> Element {
    let paragraph = "But, soft! what light through yonder window breaks? It is the east, and \
                     Juliet is the sun. Arise, fair sun, & kill the envious moon, who is \
                     already sick and pale with grief <3. ";
    let mut content = String::with_capacity(bytes + paragraph.len());
    while content.len() < bytes {
        content.push_str(paragraph);
    }
    Element::builder("message", ns::CLIENT)
        .attr("from", "pubsub.shakespeare.example")
        .attr("to", "francisco@denmark.example")
        .attr("id", "foo")
        .child(
            Element::builder("event", "http://jabber.org/protocol/pubsub#event").child(
                Element::builder("items", "http://jabber.org/protocol/pubsub#event")
                    .attr("node", "urn:xmpp:microblog:0")
                    .child(
                        Element::builder("item", "http://jabber.org/protocol/pubsub#event")
                            .attr("id", "ae890ac52d0df67ed7cfdf51b644e901")
                            .child(
                                Element::builder("entry", "http://www.w3.org/2005/Atom")
                                    .child(
                                        Element::builder("title", "http://www.w3.org/2005/Atom")
                                            .attr("type", "text")
                                            .text("Soliloquy"),
                                    )
                                    .child(
                                        Element::builder("content", "http://www.w3.org/2005/Atom")
                                            .attr("type", "text")
                                            .text(content),
                                    )
                                    .child(
                                        Element::builder(
                                            "published",
                                            "http://www.w3.org/2005/Atom",
                                        )
                                        .text("2003-12-13T18:30:02Z"),
                                    ),
                            ),
                    ),
            ),
        )
        .build()
}

/// The four samples: chat message, presence, roster of 200, 50 KiB stanza.
pub fn samples() -> Vec<Sample> {
    vec![
        sample("chat_message", &chat_message()),
        sample("presence_caps", &presence_with_caps()),
        sample("roster_200", &roster_result(200)),
        sample("stanza_50k", &large_stanza(50 * 1024)),
    ]
}

/// A whole stream (declaration, header, first-level elements, close) mixing the samples the
/// way a busy client sees them: 100 messages and 50 presences for each roster and large
/// stanza.
pub fn mixed_stream() -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = Writer::new();
    writer
        .write_stream_header(&stream_header(), &mut out)
        .expect("valid header");
    let (message, presence) = (chat_message(), presence_with_caps());
    let write = |e: &Element, out: &mut Vec<u8>| writer.write_element(e, out).expect("valid");
    write(&roster_result(200), &mut out);
    for i in 0..100 {
        write(&message, &mut out);
        if i % 2 == 0 {
            write(&presence, &mut out);
        }
    }
    write(&large_stanza(50 * 1024), &mut out);
    writer.write_stream_close(&mut out);
    out
}
