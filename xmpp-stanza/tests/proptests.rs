//! Property tests: data forms and disco results survive `T -> Element -> bytes -> Element -> T`.

use proptest::prelude::*;
use xmpp_stanza::xep::disco::{DiscoInfo, DiscoItem, DiscoItems, Identity};
use xmpp_stanza::xep::forms::{DataForm, Field, FieldOption, FieldType, FormType};
use xmpp_stream::xml::Element;

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 <>&'\"é€𝄞:/#=-]{0,12}"
}

fn field_type() -> impl Strategy<Value = Option<FieldType>> {
    prop::option::of(prop::sample::select(vec![
        FieldType::Boolean,
        FieldType::Fixed,
        FieldType::Hidden,
        FieldType::JidMulti,
        FieldType::JidSingle,
        FieldType::ListMulti,
        FieldType::ListSingle,
        FieldType::TextMulti,
        FieldType::TextPrivate,
        FieldType::TextSingle,
    ]))
}

fn field() -> impl Strategy<Value = Field> {
    (
        field_type(),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
        any::<bool>(),
        prop::collection::vec(text(), 0..4),
        prop::collection::vec((prop::option::of(text()), text()), 0..3),
    )
        .prop_map(|(kind, var, label, desc, required, mut values, options)| {
            if !kind.is_some_and(FieldType::is_multi) {
                values.truncate(1);
            }
            let var = if kind == Some(FieldType::Fixed) {
                var
            } else {
                Some(var.unwrap_or_else(|| "v".into()))
            };
            Field {
                var,
                kind,
                label,
                desc,
                required,
                values,
                options: options
                    .into_iter()
                    .map(|(label, value)| FieldOption { label, value })
                    .collect(),
            }
        })
}

fn form() -> impl Strategy<Value = DataForm> {
    (
        prop::sample::select(vec![
            FormType::Form,
            FormType::Submit,
            FormType::Cancel,
            FormType::Result,
        ]),
        prop::option::of(text()),
        prop::collection::vec(text(), 0..3),
        prop::collection::vec(field(), 0..6),
        prop::option::of(prop::collection::vec(field(), 0..3)),
        prop::collection::vec(prop::collection::vec(field(), 0..3), 0..3),
    )
        .prop_map(
            |(kind, title, instructions, fields, reported, items)| DataForm {
                kind,
                title,
                instructions,
                fields,
                reported,
                items,
            },
        )
}

fn through_bytes(e: Element) -> Element {
    let xml = e.to_xml().expect("writable");
    Element::parse(xml.as_bytes()).expect("re-readable")
}

proptest! {
    /// UCR-XEP-8: every generated form survives writing and reading.
    #[test]
    fn ucr_xep_8_forms_round_trip(f in form()) {
        let e = through_bytes(Element::from(f.clone()));
        let back = DataForm::try_from(&e).unwrap();
        prop_assert_eq!(&back, &f);
        prop_assert_eq!(Element::from(back), e);
    }

    /// UCR-XEP-5: disco#info and disco#items survive writing and reading.
    #[test]
    fn ucr_xep_5_disco_round_trip(
        node in prop::option::of(text()),
        ids in prop::collection::vec((text(), text(), prop::option::of("[a-z]{2}"), prop::option::of(text())), 0..4),
        features in prop::collection::vec(text(), 0..6),
        forms in prop::collection::vec(form(), 0..2),
        items in prop::collection::vec(("[a-z]{1,8}", prop::option::of(text()), prop::option::of(text())), 0..4),
    ) {
        let info = DiscoInfo {
            node: node.clone(),
            identities: ids.into_iter().map(|(category, kind, lang, name)| Identity { category, kind, lang, name }).collect(),
            features,
            extensions: forms,
        };
        let e = through_bytes(Element::from(info.clone()));
        prop_assert_eq!(DiscoInfo::try_from(&e).unwrap(), info);

        let di = DiscoItems {
            node,
            items: items.into_iter().map(|(n, node, name)| DiscoItem {
                jid: format!("{n}@example.com").parse().unwrap(), node, name,
            }).collect(),
        };
        let e = through_bytes(Element::from(di.clone()));
        prop_assert_eq!(DiscoItems::try_from(&e).unwrap(), di);
    }

    /// Arbitrary text in a body, subject and thread survives writing and reading.
    #[test]
    fn message_text_round_trip(body in text(), subject in text(), thread in text()) {
        let mut m = xmpp_stanza::Message::chat("a@b.c".parse().unwrap(), body);
        m.subjects.set(Some("en"), subject);
        m.thread = Some(xmpp_stanza::Thread::new(thread));
        let e = through_bytes(Element::from(m.clone()));
        prop_assert_eq!(xmpp_stanza::Message::try_from(&e).unwrap(), m);
    }
}
