//! What only a file can show: data survives reopening, bad files are refused with their own
//! error and left untouched, accounts keep salted keys and never passwords, and a second
//! process (an account command while the server runs) sees and makes changes.

use std::path::PathBuf;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use xmpp_im::jid::BareJid;
use xmpp_im::roster::{RosterChange, RosterContact, RosterVersion};
use xmpp_im::store::{Contact, LoggedChange, RosterStore};
use xmpp_im::subscription::{ContactState, SubscriptionState};
use xmpp_sasl::{CredentialStore, ScramHash, StoreError};
use xmpp_server::{Offline, Storage};
use xmpp_stanza::{Message, Presence, PresenceType};
use xmpp_store::{Error, Limits, SCHEMA_VERSION, SQLITE_FILE, Store};

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("xmpp-store-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn file(&self) -> PathBuf {
        self.0.join(SQLITE_FILE)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn j(s: &str) -> BareJid {
    s.parse().unwrap()
}

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(7)
}

#[test]
fn everything_survives_closing_and_reopening() {
    let dir = TempDir::new("reopen");
    let (juliet, romeo) = (j("juliet@example.com"), j("romeo@example.net"));
    let change = LoggedChange {
        ver: RosterVersion::new(1),
        change: RosterChange::Update(RosterContact::new(romeo.clone())),
    };
    let mut request = Presence::new(PresenceType::Subscribe);
    request.from = Some(romeo.clone().into());
    let message = Message::chat(juliet.clone().into(), "wherefore");
    {
        let mut store = Store::open_dir(&dir.0).unwrap();
        store
            .add_account(&juliet, "r0m30", 4096, &mut rng())
            .unwrap();
        store
            .save_contact(
                &juliet,
                Contact::in_roster(romeo.clone(), ContactState::new(SubscriptionState::To)),
                Some(change.clone()),
            )
            .unwrap();
        store
            .set_pending_request(&juliet, &romeo, Some(request.clone()))
            .unwrap();
        assert_eq!(
            store.store_offline(&juliet, message.clone()).unwrap(),
            Offline::Stored
        );
        // WAL mode: the log file is next to the database while it is open.
        assert!(dir.0.join(format!("{SQLITE_FILE}-wal")).exists());
    }
    let mut store = Store::open(dir.file()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.accounts().unwrap(), vec![(juliet.clone(), true)]);
    assert!(store.account_exists(&juliet));
    assert_eq!(store.version(&juliet).unwrap(), RosterVersion::new(1));
    assert_eq!(
        store
            .changes_since(&juliet, RosterVersion::INITIAL)
            .unwrap(),
        Some(vec![change])
    );
    assert_eq!(
        store.pending_request(&juliet, &romeo).unwrap(),
        Some(request)
    );
    assert_eq!(store.take_offline(&juliet).unwrap(), vec![message]);
    let creds = store.credentials("example.com");
    assert_eq!(creds.verify_password("juliet", "r0m30"), Ok(()));
}

#[test]
fn accounts_keep_salted_keys_and_never_the_password() {
    let dir = TempDir::new("accounts");
    let store = Store::open(dir.file()).unwrap();
    let alice = j("alice@example.com");
    let password = "correct horse battery staple";
    store
        .add_account(&alice, password, 4096, &mut rng())
        .unwrap();
    assert!(matches!(
        store.add_account(&alice, "x", 4096, &mut rng()),
        Err(Error::AccountExists(_))
    ));
    let creds = store.credentials("example.com");
    for hash in ScramHash::ALL {
        let c = creds.scram_credentials("alice", hash).unwrap();
        assert_eq!(c.iterations(), 4096);
        assert_eq!(c.stored_key().len(), hash.output_len());
        assert_eq!(c.salt().len(), 16);
    }
    // Local parts are case-insensitive (nodeprep), as the server's account JIDs are.
    assert_eq!(creds.verify_password("Alice", password), Ok(()));
    assert_eq!(
        creds.verify_password("alice", "wrong"),
        Err(StoreError::WrongPassword)
    );
    assert_eq!(
        creds.verify_password("bob", password),
        Err(StoreError::UnknownUser)
    );
    assert_eq!(
        creds.scram_credentials("not a@valid local part", ScramHash::Sha256),
        Err(StoreError::UnknownUser)
    );
    assert!(creds.authorize("alice", "alice"));
    assert!(creds.authorize("alice", "alice@example.com"));
    assert!(!creds.authorize("alice", "bob@example.com"));
    // Another domain's view does not see the account.
    assert_eq!(
        store
            .credentials("example.org")
            .verify_password("alice", password),
        Err(StoreError::UnknownUser)
    );

    store.set_password(&alice, "new", 4096, &mut rng()).unwrap();
    assert_eq!(creds.verify_password("alice", "new"), Ok(()));
    assert_eq!(
        creds.verify_password("alice", password),
        Err(StoreError::WrongPassword)
    );
    assert!(matches!(
        store.set_password(&j("bob@example.com"), "x", 4096, &mut rng()),
        Err(Error::UnknownAccount(_))
    ));
    drop(store);
    let bytes = std::fs::read(dir.file()).unwrap();
    let wal = std::fs::read(dir.0.join(format!("{SQLITE_FILE}-wal"))).unwrap_or_default();
    for haystack in [&bytes, &wal] {
        for needle in [password.as_bytes(), b"new".as_slice()] {
            if needle.len() > 3 {
                assert!(
                    !haystack.windows(needle.len()).any(|w| w == needle),
                    "the password is in the file"
                );
            }
        }
    }

    let mut store = Store::open(dir.file()).unwrap();
    store
        .store_offline(&alice, Message::chat(alice.clone().into(), "x"))
        .unwrap();
    store.remove_account(&alice).unwrap();
    assert!(!store.account_exists(&alice));
    assert_eq!(store.accounts().unwrap(), vec![]);
    assert_eq!(store.offline_count(&alice).unwrap(), 0);
    assert!(matches!(
        store.remove_account(&alice),
        Err(Error::UnknownAccount(_))
    ));
    assert_eq!(
        store
            .credentials("example.com")
            .verify_password("alice", "new"),
        Err(StoreError::UnknownUser)
    );
}

#[test]
fn a_second_process_sees_and_makes_changes() {
    let dir = TempDir::new("two");
    let mut server = Store::open(dir.file()).unwrap();
    let admin = Store::open(dir.file()).unwrap();
    let bob = j("bob@example.com");
    admin.add_account(&bob, "secret", 4096, &mut rng()).unwrap();
    assert!(server.account_exists(&bob));
    assert_eq!(
        server
            .credentials("example.com")
            .verify_password("bob", "secret"),
        Ok(())
    );
    server
        .store_offline(&bob, Message::chat(bob.clone().into(), "hi"))
        .unwrap();
    admin.remove_account(&bob).unwrap();
    assert!(!server.account_exists(&bob));
    assert_eq!(server.offline_count(&bob).unwrap(), 0);
}

#[test]
fn forgotten_removals_make_older_versions_unknown() {
    let mut store = Store::open_in_memory().unwrap().with_limits({
        let mut l = Limits::default();
        l.max_remembered_removals = 1;
        l
    });
    let u = j("u@x");
    store.open_account(&u).unwrap();
    let rem = |ver, jid: &str| LoggedChange {
        ver: RosterVersion::new(ver),
        change: RosterChange::Remove(j(jid)),
    };
    store
        .delete_contact(&u, &j("a@x"), Some(rem(1, "a@x")))
        .unwrap();
    store
        .delete_contact(&u, &j("b@x"), Some(rem(2, "b@x")))
        .unwrap();
    assert_eq!(
        store.changes_since(&u, RosterVersion::new(0)).unwrap(),
        None
    );
    assert_eq!(
        store.changes_since(&u, RosterVersion::new(1)).unwrap(),
        Some(vec![rem(2, "b@x")])
    );
}

#[test]
fn offline_messages_for_unknown_accounts_are_refused() {
    // MemoryStorage keeps them; a database keeps nothing for an account it does not have.
    let mut store = Store::open_in_memory().unwrap();
    let u = j("ghost@x");
    assert!(
        store
            .store_offline(&u, Message::chat(u.clone().into(), "boo"))
            .is_err()
    );
}

/// Runs `open` on the file and checks that it failed as `expected` says and left the file
/// byte for byte as it was.
fn refused(path: &std::path::Path, expected: impl Fn(&Error) -> bool) -> String {
    let before = std::fs::read(path).unwrap();
    let e = Store::open(path).unwrap_err();
    assert!(expected(&e), "unexpected error: {e:?}");
    assert!(
        std::fs::read(path).unwrap() == before,
        "the file was changed"
    );
    e.to_string()
}

#[test]
fn a_file_that_is_not_a_database_is_refused_untouched() {
    let dir = TempDir::new("garbage");
    std::fs::write(
        dir.file(),
        b"these are the notes of the nurse, not a database at all. ".repeat(100),
    )
    .unwrap();
    let msg = refused(&dir.file(), |e| matches!(e, Error::NotADatabase { .. }));
    assert!(msg.contains("not a SQLite database"), "{msg}");
}

#[test]
fn a_damaged_database_is_refused_untouched() {
    let dir = TempDir::new("corrupt");
    {
        let mut store = Store::open(dir.file()).unwrap();
        let u = j("u@x");
        store.open_account(&u).unwrap();
        for i in 0..400 {
            store
                .save_contact(
                    &u,
                    Contact::in_roster(
                        j(&format!("contact{i}@example.com")),
                        ContactState::default(),
                    ),
                    None,
                )
                .unwrap();
        }
    } // Closing checkpoints the WAL into the file.
    let mut bytes = std::fs::read(dir.file()).unwrap();
    let page = 4096;
    assert!(bytes.len() > 6 * page, "{} bytes", bytes.len());
    // Scribble over the pages after the schema (page 1 keeps the header readable).
    let end = bytes.len() - page;
    for b in &mut bytes[2 * page..end] {
        *b = 0x5a;
    }
    std::fs::write(dir.file(), &bytes).unwrap();
    let msg = refused(&dir.file(), |e| matches!(e, Error::Corrupt { .. }));
    assert!(msg.contains("corrupt"), "{msg}");
}

#[test]
fn another_applications_database_is_refused_untouched() {
    let dir = TempDir::new("foreign");
    {
        let c = rusqlite::Connection::open(dir.file()).unwrap();
        c.execute_batch("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('pie');")
            .unwrap();
    }
    let msg = refused(&dir.file(), |e| matches!(e, Error::Foreign { .. }));
    assert!(msg.contains("recipes"), "{msg}");

    let other = TempDir::new("foreign-id");
    {
        let c = rusqlite::Connection::open(other.file()).unwrap();
        c.execute_batch("PRAGMA application_id = 1234;").unwrap();
    }
    refused(&other.file(), |e| matches!(e, Error::Foreign { .. }));
}

#[test]
fn a_schema_from_a_newer_version_is_refused_untouched() {
    let dir = TempDir::new("newer");
    drop(Store::open(dir.file()).unwrap());
    {
        let c = rusqlite::Connection::open(dir.file()).unwrap();
        c.execute_batch("UPDATE xmpp_store_meta SET value = '99' WHERE key = 'schema_version';")
            .unwrap();
    }
    let msg = refused(&dir.file(), |e| {
        matches!(
            e,
            Error::NewerSchema {
                found: 99,
                supported: SCHEMA_VERSION,
                ..
            }
        )
    });
    assert!(msg.contains("newer"), "{msg}");
}
