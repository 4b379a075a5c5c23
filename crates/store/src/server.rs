//! What only the shop server has: scratch databases for the tests and the load benchmark.

use crate::{Result, StoreError};

/// The environment variable that names a PostgreSQL server the tests may create databases on
/// (an administrator's address, e.g. `postgres://postgres@127.0.0.1:55432/postgres`). `.ci/run`
/// starts a throwaway cluster and sets it.
pub const TEST_SERVER_ENV: &str = "HASHBENCH_TEST_POSTGRES";

/// The server the tests may create databases on ([`TEST_SERVER_ENV`]), if one is given. Under
/// CI (`CI` set) one must be: a test suite that quietly skipped the server would not test it.
pub fn test_server() -> std::result::Result<Option<String>, String> {
    match std::env::var(TEST_SERVER_ENV) {
        Ok(address) if !address.trim().is_empty() => Ok(Some(address)),
        _ if std::env::var_os("CI").is_some() => Err(format!(
            "CI runs the store's tests on PostgreSQL too: set {TEST_SERVER_ENV} (.ci/run starts a throwaway server)"
        )),
        _ => Ok(None),
    }
}

/// Create an empty database named `hb_<hint>_<process>_<n>` on the server at `admin` (an
/// address whose role may create databases) and return its address: `admin` with the database
/// name replaced. For tests and benchmarks: each gets a database of its own.
pub fn scratch_database(admin: &str, hint: &str) -> Result<String> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "hb_{}_{}_{}",
        hint.chars()
            .filter(char::is_ascii_alphanumeric)
            .take(24)
            .collect::<String>()
            .to_ascii_lowercase(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let place = std::path::PathBuf::from(admin_place(admin));
    let tls = crate::db::tls().map_err(StoreError::Invalid)?;
    let mut client =
        postgres::Client::connect(admin, tls).map_err(|e| StoreError::from_db(&place, e.into()))?;
    // One statement each: a multi-statement batch runs as one transaction, which PostgreSQL
    // refuses for these.
    for statement in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        client
            .batch_execute(&statement)
            .map_err(|e| StoreError::from_db(&place, e.into()))?;
    }
    with_database(admin, &name)
}

/// `address` (a `postgres://` URL) naming database `name` instead of its own.
pub fn with_database(address: &str, name: &str) -> Result<String> {
    let invalid = || {
        StoreError::Invalid(format!(
            "`{}` is not a postgres:// address with a host",
            admin_place(address)
        ))
    };
    let (scheme, rest) = address.split_once("://").ok_or_else(invalid)?;
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, format!("?{q}")),
        None => (rest, String::new()),
    };
    let host = rest.split('/').next().ok_or_else(invalid)?;
    Ok(format!("{scheme}://{host}/{name}{query}"))
}

/// The address without a password, for messages.
fn admin_place(address: &str) -> String {
    address
        .parse::<postgres::Config>()
        .map_or_else(|_| "the server".to_owned(), |c| crate::server_name(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scratch_address_keeps_the_login_host_and_options() {
        assert_eq!(
            with_database(
                "postgres://bench:pw@10.0.0.5:5433/shop?sslmode=disable",
                "hb_x_1_0"
            )
            .unwrap(),
            "postgres://bench:pw@10.0.0.5:5433/hb_x_1_0?sslmode=disable"
        );
        assert!(with_database("host=x dbname=y", "z").is_err());
    }
}

/// Hears the changes other benches make on the server (`NOTIFY` on [`crate::db::CHANGES`]), on
/// a named thread with its own connection, until dropped. A lost connection is tried again
/// every 2 s; a change missed meanwhile is made up for by [`Listener`]'s caller refreshing when
/// the connection returns (it is told ticket 0: "many").
#[derive(Debug)]
pub struct Listener {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl crate::Store {
    /// Call `changed(ticket)` for every change another bench (or this one) commits on the
    /// server: the ticket's number, or 0 for many. `None` for a file, which no other bench
    /// writes while this one has it open.
    pub fn listen(&self, changed: impl FnMut(i64) + Send + 'static) -> Result<Option<Listener>> {
        let Some(server) = self.conn.server() else {
            return Ok(None);
        };
        let (config, tls) = server.settings();
        let place = self.path.clone();
        let mut client = server
            .connect_again()
            .map_err(|e| StoreError::from_db(&place, e.into()))?;
        client
            .batch_execute(&format!("LISTEN {}", crate::db::CHANGES))
            .map_err(|e| StoreError::from_db(&place, e.into()))?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("db-listen".into())
            .spawn(move || hear(client, (&config, &tls), &flag, changed))
            .map_err(|source| StoreError::Io {
                path: place,
                what: "starting the thread that listens for other benches",
                source,
            })?;
        Ok(Some(Listener { stop }))
    }
}

fn hear(
    mut client: postgres::Client,
    (config, tls): (&postgres::Config, &postgres_native_tls::MakeTlsConnector),
    stop: &std::sync::atomic::AtomicBool,
    mut changed: impl FnMut(i64),
) {
    use postgres::fallible_iterator::FallibleIterator as _;
    let tick = std::time::Duration::from_millis(500);
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let mut lost = false;
        {
            let mut notices = client.notifications();
            let mut waiting = notices.timeout_iter(tick);
            loop {
                match waiting.next() {
                    Ok(Some(n)) => changed(n.payload().parse().unwrap_or(0)),
                    Ok(None) => break,
                    Err(_) => {
                        lost = true;
                        break;
                    }
                }
            }
        }
        if lost || client.is_closed() {
            // Wait for the server, then say "many": what changed meanwhile was not heard.
            loop {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_secs(2));
                if let Ok(mut fresh) = config.connect(tls.clone())
                    && fresh
                        .batch_execute(&format!("LISTEN {}", crate::db::CHANGES))
                        .is_ok()
                {
                    client = fresh;
                    changed(0);
                    break;
                }
            }
        }
    }
}
