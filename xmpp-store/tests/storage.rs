//! The behavioural suite of `suite/` against every backend: `MemoryStorage` (the reference
//! the others must match), SQLite, and PostgreSQL (feature `postgres`: a throwaway cluster on
//! loopback, started and stopped by `scripts/interop/postgres.sh`).

mod suite;

use xmpp_server::MemoryStorage;
use xmpp_store::{Limits, Store};

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_offline_per_account = suite::MAX_OFFLINE;
    l
}

/// One `#[test]` per suite case for a backend.
macro_rules! suite_tests {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            fn run(name: &str) {
                let case = suite::cases()
                    .into_iter()
                    .find(|(n, _)| *n == name)
                    .expect("a suite case");
                let mut store = $make;
                (case.1)(&mut store);
            }

            #[test]
            fn accounts_are_opened_once_and_unknown_ones_are_errors() {
                run("accounts_are_opened_once_and_unknown_ones_are_errors");
            }
            #[test]
            fn contacts_are_saved_replaced_and_counted() {
                run("contacts_are_saved_replaced_and_counted");
            }
            #[test]
            fn roster_versions_replay_the_latest_change_per_contact() {
                run("roster_versions_replay_the_latest_change_per_contact");
            }
            #[test]
            fn pending_requests_are_kept_whole_until_answered() {
                run("pending_requests_are_kept_whole_until_answered");
            }
            #[test]
            fn offline_messages_are_kept_in_order_up_to_the_limit() {
                run("offline_messages_are_kept_in_order_up_to_the_limit");
            }
            #[test]
            fn accounts_do_not_see_each_other() {
                run("accounts_do_not_see_each_other");
            }
        }
    };
}

suite_tests!(memory, MemoryStorage::new(suite::MAX_OFFLINE));
suite_tests!(
    sqlite,
    Store::open_in_memory().unwrap().with_limits(limits())
);

#[test]
fn every_suite_case_has_a_test() {
    assert_eq!(suite::cases::<MemoryStorage>().len(), 6);
}

/// The whole suite on a SQLite file, each case on a fresh file.
#[test]
fn sqlite_files_pass_the_suite() {
    let dir = std::env::temp_dir().join(format!("xmpp-store-suite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (name, case)) in suite::cases::<Store>().into_iter().enumerate() {
        let path = dir.join(format!("{i}.sqlite3"));
        let mut store = Store::open(&path).unwrap().with_limits(limits());
        eprintln!("sqlite file: {name}");
        case(&mut store);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;

    /// The cluster of this test; stopped (and its directory removed) on drop, panics included.
    struct Cluster {
        script: PathBuf,
        dir: PathBuf,
        port: u16,
    }

    impl Cluster {
        /// `None` (with a message) when PostgreSQL is not installed and this is not CI; CI has
        /// it (`scripts/ci-deps`), so there a missing server fails the test.
        fn start() -> Option<Cluster> {
            let script =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/interop/postgres.sh");
            let check = Command::new(&script).arg("check").status().unwrap();
            if !check.success() {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "PostgreSQL is not installed on this CI machine (scripts/ci-deps installs it)"
                );
                eprintln!(
                    "SKIPPED: the PostgreSQL suite needs the PostgreSQL server \
                     (apt-get install postgresql, or scripts/ci-deps)"
                );
                return None;
            }
            let dir =
                std::env::temp_dir().join(format!("xmpp-store-postgres-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let out = Command::new("timeout")
                .arg("150")
                .arg(&script)
                .arg("start")
                .arg(&dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "PostgreSQL did not start: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let port = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
            Some(Cluster { script, dir, port })
        }

        fn params(&self, db: &str) -> String {
            format!(
                "host=127.0.0.1 port={} user=postgres dbname={db}",
                self.port
            )
        }

        /// A fresh database.
        fn database(&self, name: &str) -> String {
            let mut admin =
                ::postgres::Client::connect(&self.params("postgres"), ::postgres::NoTls).unwrap();
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                .unwrap();
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
            self.params(name)
        }
    }

    impl Drop for Cluster {
        fn drop(&mut self) {
            let _ = Command::new("timeout")
                .arg("60")
                .arg(&self.script)
                .arg("stop")
                .arg(&self.dir)
                .status();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// The suite, each case on a fresh database, then the checks on open.
    #[test]
    fn postgres_passes_the_suite_and_refuses_foreign_and_newer_databases() {
        let Some(cluster) = Cluster::start() else {
            return;
        };
        for (i, (name, case)) in suite::cases::<Store>().into_iter().enumerate() {
            eprintln!("postgres: {name}");
            let params = cluster.database(&format!("suite{i}"));
            let mut store = Store::connect_postgres(&params)
                .unwrap()
                .with_limits(limits());
            case(&mut store);
        }

        // Data survives reconnecting; the schema is not applied twice.
        let params = cluster.database("reconnect");
        let juliet = suite::j("juliet@example.com");
        {
            let store = Store::connect_postgres(&params).unwrap();
            store
                .add_account(&juliet, "r0m30", 4096, &mut rand_core::OsRng)
                .unwrap();
        }
        let store = Store::connect_postgres(&params).unwrap();
        assert_eq!(store.accounts().unwrap(), vec![(juliet.clone(), true)]);
        use xmpp_sasl::CredentialStore;
        assert!(
            store
                .credentials("example.com")
                .verify_password("juliet", "r0m30")
                .is_ok()
        );
        store.remove_account(&juliet).unwrap();
        assert!(store.accounts().unwrap().is_empty());
        drop(store);

        // Someone else's tables: refused, untouched.
        let params = cluster.database("foreign_tables");
        let mut c = ::postgres::Client::connect(&params, ::postgres::NoTls).unwrap();
        c.batch_execute("CREATE TABLE users (id INT)").unwrap();
        let e = Store::connect_postgres(&params).unwrap_err();
        assert!(matches!(e, xmpp_store::Error::Foreign { .. }), "{e}");

        // A newer schema: refused, untouched.
        let params = cluster.database("newer_schema");
        drop(Store::connect_postgres(&params).unwrap());
        let mut c = ::postgres::Client::connect(&params, ::postgres::NoTls).unwrap();
        c.batch_execute("UPDATE xmpp_store_meta SET value = '99' WHERE key = 'schema_version'")
            .unwrap();
        let e = Store::connect_postgres(&params).unwrap_err();
        assert!(
            matches!(e, xmpp_store::Error::NewerSchema { found: 99, .. }),
            "{e}"
        );
        let v: String = c
            .query_one(
                "SELECT value FROM xmpp_store_meta WHERE key = 'schema_version'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(v, "99");
    }
}
