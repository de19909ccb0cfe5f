//! JID parsing cost: `xmpp-jid` against the `jid` crate (0.12), in the same run, on the same
//! inputs. Each input set is checked first: both implementations accept every input and give
//! the same prepared string, so both do the same job.
//!
//! Groups:
//! - `normalised_ascii`: addresses already in prepared form (the common case on the wire).
//! - `ascii_case_folding`: ASCII addresses whose node and domain need lower-casing.
//! - `unicode_stringprep`: addresses needing real stringprep work (NFKC, case folding beyond
//!   ASCII, characters mapped to nothing, IDN domains).
//!
//! Run: `cargo bench -p xmpp-benches --bench jid -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const NORMALISED_ASCII: &[&str] = &[
    "juliet@capulet.example",
    "juliet@capulet.example/balcony",
    "john.smith@chat.dod.mil/XMPP Desktop Client",
    "conference.chat.dod.mil",
    "room@conference.chat.dod.mil/Nick Name",
    "capulet.example/component",
    "a.very.long.localpart-with-dashes_and_underscores@im.services.example.org/Gajim.3f2a9c7d",
    "user@192.168.0.1/desk",
];

const ASCII_CASE_FOLDING: &[&str] = &[
    "Juliet@Capulet.Example",
    "JULIET@CAPULET.EXAMPLE/Balcony",
    "John.Smith@Chat.DoD.mil/XMPP Desktop Client",
    "Conference.Chat.DOD.MIL",
    "Room@Conference.Chat.dod.mil/Nick Name",
    "Capulet.Example/Component",
    "A.Very.Long.Localpart-With-Dashes@IM.Services.Example.ORG/Gajim.3f2a9c7d",
    "User@Example.COM/desk",
];

const UNICODE_STRINGPREP: &[&str] = &[
    "Ｊｕｌｉｅｔ@capulet.example/Balcony",
    "Straße@bücher.example/Résumé",
    "ÄÖÜ@例え.テスト/ﬂower",
    "jul\u{AD}iet@capulet.example/bal\u{200B}cony",
    "e\u{301}lise@xn--bcher-kva.example/e\u{301}",
    "σίσυφος@ελληνικά.example/Κινητό",
    "room@conference.example/Ｎｉｃｋ",
    "ÉCOLE@Café.Example/Ñandú",
];

fn check(inputs: &[&str]) {
    for input in inputs {
        let ours = xmpp_jid::Jid::new(input).expect("xmpp-jid accepts the input");
        let theirs = jid::Jid::new(input).expect("jid accepts the input");
        // jid keeps A-labels as they are; compare in A-label form.
        let ours_ascii = ours
            .as_str()
            .replace(ours.domain(), &ours.domain_part().to_ascii());
        assert!(
            ours.as_str() == theirs.as_str() || ours_ascii == theirs.as_str(),
            "{input}: {ours} vs {theirs}"
        );
    }
}

fn bench_set(c: &mut Criterion, name: &str, inputs: &[&str]) {
    check(inputs);
    let mut group = c.benchmark_group(format!("jid/{name}"));
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("xmpp-jid", |b| {
        b.iter(|| {
            for input in inputs {
                black_box(xmpp_jid::Jid::new(black_box(input)).ok());
            }
        })
    });
    group.bench_function("jid-0.12", |b| {
        b.iter(|| {
            for input in inputs {
                black_box(jid::Jid::new(black_box(input)).ok());
            }
        })
    });
    group.finish();
}

fn parse(c: &mut Criterion) {
    bench_set(c, "normalised_ascii", NORMALISED_ASCII);
    bench_set(c, "ascii_case_folding", ASCII_CASE_FOLDING);
    bench_set(c, "unicode_stringprep", UNICODE_STRINGPREP);
}

criterion_group!(benches, parse);
criterion_main!(benches);
