//! The payloads: roster, XEP-0004/0030/0068/0082/0085/0092/0115/0199/0203/0297.

use xmpp_stanza::roster::{RosterItem, RosterQuery, Subscription};
use xmpp_stanza::xep::caps::{Caps, CapsError, hash_ver, verification_string};
use xmpp_stanza::xep::chatstates::ChatState;
use xmpp_stanza::xep::datetime::{Date, DateTime, Time, Tz};
use xmpp_stanza::xep::delay::Delay;
use xmpp_stanza::xep::disco::{DiscoInfo, DiscoItems, Identity};
use xmpp_stanza::xep::forms::{DataForm, Field, FieldType, FormType};
use xmpp_stanza::xep::forward::Forwarded;
use xmpp_stanza::xep::version::Version;
use xmpp_stanza::{Condition, Iq, Message, ParseError, Payload, Stanza};
use xmpp_stream::xml::Element;

fn el(s: &str) -> Element {
    s.parse().expect("test input is well-formed XML")
}

fn round_trip<P: Payload + Clone + PartialEq + std::fmt::Debug>(xml: &str) -> P {
    let e = el(xml);
    let p = P::try_from(&e).expect("parses");
    let e2: Element = p.clone().into();
    assert_eq!(e2, e, "written back unchanged");
    assert_eq!(P::try_from(&e2).unwrap(), p);
    p
}

#[test]
fn roster_query_round_trip_and_errors() {
    let q: RosterQuery = round_trip(
        "<query xmlns='jabber:iq:roster' ver='v1'>\
         <item jid='romeo@example.net' name='Romeo' subscription='both'><group>Friends</group><group>Lovers</group></item>\
         <item jid='mercutio@example.com' subscription='none' ask='subscribe'/>\
         <item jid='benvolio@example.net' subscription='from' approved='true'/>\
         <item jid='nurse@example.com' subscription='remove'/></query>",
    );
    assert_eq!(q.items.len(), 4);
    assert_eq!(q.items[0].groups, ["Friends", "Lovers"]);
    assert!(q.items[1].ask);
    assert!(q.items[2].approved);
    assert_eq!(q.items[3].subscription, Some(Subscription::Remove));
    let get: RosterQuery = round_trip("<query xmlns='jabber:iq:roster'/>");
    assert!(get.items.is_empty() && get.ver.is_none());

    for (xml, cond) in [
        (
            "<query xmlns='jabber:iq:roster'><item/></query>",
            Condition::BadRequest,
        ),
        (
            "<query xmlns='jabber:iq:roster'><item jid='@x'/></query>",
            Condition::JidMalformed,
        ),
        (
            "<query xmlns='jabber:iq:roster'><item jid='a@b.c' subscription='maybe'/></query>",
            Condition::BadRequest,
        ),
        (
            "<query xmlns='jabber:iq:roster'><item jid='a@b.c' ask='please'/></query>",
            Condition::BadRequest,
        ),
        (
            "<query xmlns='jabber:iq:roster'><item jid='a@b.c' approved='yes'/></query>",
            Condition::BadRequest,
        ),
        (
            "<query xmlns='jabber:iq:roster'><foo/></query>",
            Condition::FeatureNotImplemented,
        ),
        (
            "<query xmlns='jabber:iq:other'/>",
            Condition::FeatureNotImplemented,
        ),
    ] {
        let err = RosterQuery::try_from(&el(xml)).unwrap_err();
        assert_eq!(err.condition(), cond, "{xml}: {err}");
    }
    let push = Iq::set(
        None,
        "push1",
        RosterQuery {
            ver: None,
            items: vec![RosterItem::new("a@b.c".parse().unwrap())],
        },
    );
    assert_eq!(
        push.payload::<RosterQuery>().unwrap().unwrap().items[0]
            .jid
            .as_str(),
        "a@b.c"
    );
}

/// UCR-XEP-11: XEP-0082 profiles, strict.
#[test]
fn ucr_xep_11_date_time_profiles() {
    // The XEP's examples.
    let d: Date = "1776-07-04".parse().unwrap();
    assert_eq!((d.year, d.month, d.day), (1776, 7, 4));
    let t: DateTime = "1969-07-21T02:56:15Z".parse().unwrap();
    assert_eq!(t.unix_timestamp(), -14_159_025);
    let t2: DateTime = "1969-07-20T21:56:15-05:00".parse().unwrap();
    assert_eq!(t2.unix_timestamp(), t.unix_timestamp());
    let tm: Time = "16:00:00".parse().unwrap();
    assert_eq!(tm.tz, None);
    let tm2: Time = "16:00:00.5+05:30".parse().unwrap();
    assert_eq!((tm2.nanos, tm2.tz), (500_000_000, Some(Tz::Offset(330))));
    for s in [
        "1969-07-21T02:56:15.123456789Z",
        "2000-02-29T00:00:00+14:00",
        "0001-01-01T00:00:00-00:30",
    ] {
        assert_eq!(s.parse::<DateTime>().unwrap().to_string(), s);
    }
    assert_eq!(
        DateTime::from_unix(-14_159_025).unwrap().to_string(),
        "1969-07-21T02:56:15Z"
    );
    assert_eq!(
        DateTime::from_unix(951_782_400).unwrap().to_string(),
        "2000-02-29T00:00:00Z"
    );
    for bad in [
        "1969-07-21T02:56:15",
        "1969-07-21 02:56:15Z",
        "69-07-21T02:56:15Z",
        "1969-13-01T00:00:00Z",
        "1969-00-01T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2001-04-31T00:00:00Z",
        "1969-07-21T24:00:00Z",
        "1969-07-21T23:60:00Z",
        "1969-07-21T23:00:60Z",
        "1969-07-21T02:56:15.Z",
        "1969-07-21T02:56:15.1234567890Z",
        "1969-07-21T02:56:15+15:00",
        "1969-07-21T02:56:15+01:60",
        "1969-07-21T02:56:15+0100",
        "1969-07-21T02:56:15Zjunk",
        "１９６９-07-21T02:56:15Z",
        "",
    ] {
        let err = bad.parse::<DateTime>().unwrap_err();
        assert!(matches!(err, ParseError::BadDateTime { .. }), "{bad}");
    }
    assert!("1776-07-4".parse::<Date>().is_err());
    assert!("1776-07-04Z".parse::<Date>().is_err());
    assert!("16:00".parse::<Time>().is_err());
}

#[test]
fn delay_round_trip_and_errors() {
    let d: Delay = round_trip(
        "<delay xmlns='urn:xmpp:delay' from='capulet.com' stamp='2002-09-10T23:08:25Z'>Offline Storage</delay>",
    );
    assert_eq!(d.reason.as_deref(), Some("Offline Storage"));
    assert_eq!(d.from.unwrap().as_str(), "capulet.com");
    let missing = Delay::try_from(&el("<delay xmlns='urn:xmpp:delay'/>")).unwrap_err();
    assert_eq!(
        missing,
        ParseError::MissingAttribute {
            element: "delay",
            attr: "stamp"
        }
    );
}

/// UCR-XEP-6: the five chat states.
#[test]
fn ucr_xep_6_chat_states() {
    for (name, s) in [
        ("active", ChatState::Active),
        ("composing", ChatState::Composing),
        ("paused", ChatState::Paused),
        ("inactive", ChatState::Inactive),
        ("gone", ChatState::Gone),
    ] {
        let xml = format!(
            "<message xmlns='jabber:client' type='chat'><{name} xmlns='http://jabber.org/protocol/chatstates'/></message>"
        );
        let m = Message::try_from(&el(&xml)).unwrap();
        assert_eq!(m.payload::<ChatState>(), Some(Ok(s)));
        assert_eq!(Element::from(m), el(&xml));
    }
    assert!(
        ChatState::try_from(&el(
            "<typing xmlns='http://jabber.org/protocol/chatstates'/>"
        ))
        .is_err()
    );
}

#[test]
fn version_round_trip() {
    let v: Version = round_trip(
        "<query xmlns='jabber:iq:version'><name>Exodus</name><version>0.7.0.4</version><os>Windows-XP 5.01.2600</os></query>",
    );
    assert!(v.is_complete());
    let empty: Version = round_trip("<query xmlns='jabber:iq:version'/>");
    assert!(!empty.is_complete());
    assert!(
        Version::try_from(&el(
            "<query xmlns='jabber:iq:version'><name>a</name><name>b</name></query>"
        ))
        .is_err()
    );
}

/// Service discovery: disco#info and disco#items.
#[test]
fn ucr_xep_5_ucr_elev_42_ucr_elev_43_disco_info_and_items() {
    let info: DiscoInfo = round_trip(
        "<query xmlns='http://jabber.org/protocol/disco#info' node='n'>\
         <identity category='conference' type='text' name='Play-Specific Chatrooms'/>\
         <identity category='directory' type='chatroom' xml:lang='en' name='Rooms'/>\
         <feature var='http://jabber.org/protocol/disco#info'/><feature var='http://jabber.org/protocol/muc'/>\
         <x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#roominfo</value></field></x>\
         </query>",
    );
    assert_eq!(info.identities[1].lang.as_deref(), Some("en"));
    assert!(info.has_feature("http://jabber.org/protocol/muc"));
    assert_eq!(
        info.extensions[0].form_type(),
        Some("http://jabber.org/protocol/muc#roominfo")
    );
    let items: DiscoItems = round_trip(
        "<query xmlns='http://jabber.org/protocol/disco#items'>\
         <item jid='heath@chat.shakespeare.lit' name='A Lonely Heath'/>\
         <item jid='darkcave@chat.shakespeare.lit' node='n' name='A Dark Cave'/></query>",
    );
    assert_eq!(items.items[1].node.as_deref(), Some("n"));
    for bad in [
        "<query xmlns='http://jabber.org/protocol/disco#info'><identity type='pc'/></query>",
        "<query xmlns='http://jabber.org/protocol/disco#info'><feature/></query>",
        "<query xmlns='http://jabber.org/protocol/disco#info'><bogus/></query>",
    ] {
        assert!(DiscoInfo::try_from(&el(bad)).is_err(), "{bad}");
    }
    assert!(
        DiscoItems::try_from(&el(
            "<query xmlns='http://jabber.org/protocol/disco#items'><item/></query>"
        ))
        .is_err()
    );
}

/// Data forms, all field types, required-field validation, FORM_TYPE.
#[test]
fn ucr_xep_8_ucr_xep_12_data_forms() {
    let form: DataForm = round_trip(
        "<x xmlns='jabber:x:data' type='form'><title>Bot Configuration</title>\
         <instructions>Fill out this form to configure your new bot!</instructions>\
         <field var='FORM_TYPE' type='hidden'><value>jabber:bot</value></field>\
         <field type='fixed'><value>Section 1: Bot Info</value></field>\
         <field var='botname' type='text-single' label='The name of your bot'/>\
         <field var='description' type='text-multi' label='Helpful description of your bot'><value>a</value><value>b</value></field>\
         <field var='public' type='boolean' label='Public bot?'><required/><value>0</value></field>\
         <field var='password' type='text-private' label='Password for special access'/>\
         <field var='features' type='list-multi' label='What features will the bot support?'><value>news</value>\
           <option label='Contests'><value>contests</value></option><option label='News'><value>news</value></option></field>\
         <field var='maxsubs' type='list-single' label='Maximum number of subscribers'><value>20</value>\
           <option label='10'><value>10</value></option><option label='20'><value>20</value></option></field>\
         <field var='invitelist' type='jid-multi' label='People to invite'><desc>Tell all your friends about your new bot!</desc></field>\
         <field var='owner' type='jid-single'/></x>",
    );
    assert_eq!(form.form_type(), Some("jabber:bot"));
    assert_eq!(form.fields.len(), 10);
    let mut sub = DataForm::new(FormType::Submit);
    sub.set_form_type("jabber:bot");
    let err = form.validate_submission(&sub).unwrap_err();
    assert!(err.to_string().contains("public"), "{err}");
    sub.fields
        .push(Field::new("public", None, vec!["true".into()]));
    form.validate_submission(&sub).unwrap();
    for (var, value) in [
        ("public", "maybe"),
        ("owner", "@bad"),
        ("maxsubs", "30"),
        ("features", "games"),
    ] {
        let mut s = sub.clone();
        s.fields.retain(|f| f.var.as_deref() != Some(var));
        s.fields.push(Field::new(var, None, vec![value.into()]));
        assert!(form.validate_submission(&s).is_err(), "{var}={value}");
    }
    let mut two = sub.clone();
    two.fields
        .push(Field::new("botname", None, vec!["a".into(), "b".into()]));
    assert!(form.validate_submission(&two).is_err());
    let mut other = sub.clone();
    other.set_form_type("urn:other");
    assert!(form.validate_submission(&other).is_err());

    for bad in [
        "<x xmlns='jabber:x:data'/>",
        "<x xmlns='jabber:x:data' type='draft'/>",
        "<x xmlns='jabber:x:data' type='form'><field var='a' type='colour'/></x>",
        "<x xmlns='jabber:x:data' type='form'><field type='text-single'/></x>",
        "<x xmlns='jabber:x:data' type='form'><field var='a' type='boolean'><value>1</value><value>0</value></field></x>",
        "<x xmlns='jabber:x:data' type='form'><field var='a'><option/></field></x>",
    ] {
        assert!(DataForm::try_from(&el(bad)).is_err(), "{bad}");
    }
    let table: DataForm = round_trip(
        "<x xmlns='jabber:x:data' type='result'><reported><field var='name'/></reported>\
         <item><field var='name'><value>a</value></field></item><item><field var='name'><value>b</value></field></item></x>",
    );
    assert_eq!(table.items.len(), 2);
    // Every field type of XEP-0004 §3.3 was read with its own type.
    assert_eq!(
        form.fields
            .iter()
            .map(|f| f.effective_type())
            .collect::<Vec<_>>(),
        [
            FieldType::Hidden,
            FieldType::Fixed,
            FieldType::TextSingle,
            FieldType::TextMulti,
            FieldType::Boolean,
            FieldType::TextPrivate,
            FieldType::ListMulti,
            FieldType::ListSingle,
            FieldType::JidMulti,
            FieldType::JidSingle,
        ]
    );
}

fn simple_example() -> DiscoInfo {
    let mut info = DiscoInfo::default();
    info.identities.push(Identity {
        name: Some("Exodus 0.9.1".into()),
        ..Identity::new("client", "pc")
    });
    for f in [
        "http://jabber.org/protocol/caps",
        "http://jabber.org/protocol/disco#info",
        "http://jabber.org/protocol/disco#items",
        "http://jabber.org/protocol/muc",
    ] {
        info.features.push(f.into());
    }
    info
}

/// XEP-0115 §5.2, the simple example.
#[test]
fn caps_simple_example() {
    let info = simple_example();
    let s = verification_string(&info).unwrap();
    assert_eq!(
        s,
        "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<"
    );
    assert_eq!(
        hash_ver("sha-1", &s).unwrap(),
        "QgayPKawpkPSDYmwT/WM94uAlu0="
    );
    let caps = Caps::for_info("http://code.google.com/p/exodus", &info).unwrap();
    assert_eq!(caps.ver, "QgayPKawpkPSDYmwT/WM94uAlu0=");
    caps.verify(&info).unwrap();
    let c: Caps = round_trip(
        "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://code.google.com/p/exodus' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>",
    );
    assert_eq!(c, caps);
}

/// XEP-0115 §5.3, the complex example (two identities with languages, an extended form).
#[test]
fn caps_complex_example() {
    let xml = "<query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>\
      <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>\
      <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>\
      <feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/>\
      <feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/>\
      <x xmlns='jabber:x:data' type='result'>\
        <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>\
        <field var='ip_version'><value>ipv4</value><value>ipv6</value></field>\
        <field var='os'><value>Mac</value></field><field var='os_version'><value>10.5.1</value></field>\
        <field var='software'><value>Psi</value></field><field var='software_version'><value>0.11</value></field>\
      </x></query>";
    let info = DiscoInfo::try_from(&el(xml)).unwrap();
    let s = verification_string(&info).unwrap();
    assert_eq!(
        s,
        "client/pc/el/Ψ 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<ip_version<ipv4<ipv6<os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<"
    );
    assert_eq!(
        hash_ver("sha-1", &s).unwrap(),
        "q07IKJEyjvHSyhy//CH0CxmKi8w="
    );
    let caps = Caps {
        hash: "sha-1".into(),
        node: "http://psi-im.org".into(),
        ver: "q07IKJEyjvHSyhy//CH0CxmKi8w=".into(),
        ext: None,
    };
    caps.verify(&info).unwrap();
}

/// XEP-0115 §5.4: a forged ver, duplicates and unknown hashes are refused.
#[test]
fn caps_forged_hash_rejected() {
    let info = simple_example();
    let forged = Caps {
        hash: "sha-1".into(),
        node: "n".into(),
        ver: "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(),
        ext: None,
    };
    assert!(matches!(
        forged.verify(&info),
        Err(CapsError::Mismatch { .. })
    ));
    // The right ver for a different feature set does not verify either.
    let mut more = info.clone();
    more.features.push("urn:xmpp:ping".into());
    let honest = Caps::for_info("n", &info).unwrap();
    assert!(matches!(
        honest.verify(&more),
        Err(CapsError::Mismatch { .. })
    ));
    let mut dup = info.clone();
    dup.features.push("http://jabber.org/protocol/muc".into());
    assert!(matches!(
        honest.verify(&dup),
        Err(CapsError::DuplicateFeature(_))
    ));
    let mut dup_id = info.clone();
    dup_id.identities.push(dup_id.identities[0].clone());
    assert_eq!(honest.verify(&dup_id), Err(CapsError::DuplicateIdentity));
    let md5 = Caps {
        hash: "md5".into(),
        ..honest.clone()
    };
    assert_eq!(
        md5.verify(&info),
        Err(CapsError::UnsupportedHash("md5".into()))
    );
    let mut forms = info.clone();
    let mut f = DataForm::new(FormType::Result);
    f.set_form_type("urn:x");
    forms.extensions = vec![f.clone(), f];
    assert!(matches!(
        honest.verify(&forms),
        Err(CapsError::DuplicateFormType(_))
    ));
    assert!(
        Caps::try_from(&el(
            "<c xmlns='http://jabber.org/protocol/caps' node='n' ver='v'/>"
        ))
        .is_err()
    );
}

#[test]
fn forwarded_round_trip() {
    let f: Forwarded = round_trip(
        "<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>\
         <message xmlns='jabber:client' from='romeo@montague.lit/orchard' to='juliet@capulet.lit' type='chat'>\
         <body>Yet I should kill thee with much cherishing.</body></message></forwarded>",
    );
    let Stanza::Message(m) = *f.stanza else {
        panic!()
    };
    assert_eq!(
        m.body(),
        Some("Yet I should kill thee with much cherishing.")
    );
    assert!(Forwarded::try_from(&el("<forwarded xmlns='urn:xmpp:forward:0'/>")).is_err());
    assert!(
        Forwarded::try_from(&el(
            "<forwarded xmlns='urn:xmpp:forward:0'><foo/></forwarded>"
        ))
        .is_err()
    );
}
