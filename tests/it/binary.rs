//! The real `candor` binary on a fresh database, for the tests that need the shipped program
//! itself (killed mid-write, or its log file read): its own CLI makes the admin and an API
//! token, and `serve` runs on a port of its own. Shared by `crash`, `delivery` and
//! `delivery_reviews`, so each of them says only what it does with the running server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use candor::db::DbUrl;
use diesel::connection::SimpleConnection;
use diesel::Connection;

use crate::support::{fresh_database, Api, ADMIN_EMAIL, PASSWORD};

/// The binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_candor");

/// `DATABASE_URL` as the binary reads it.
pub fn database_url(url: &DbUrl) -> String {
    match url {
        DbUrl::Sqlite(p) => format!("sqlite://{p}"),
        DbUrl::Postgres(u) => u.clone(),
    }
}

/// Runs one CLI command on the database at `url` (an admin it creates gets `PASSWORD`) and
/// returns what it printed; a failure fails the test with the command's error output.
pub fn cli(url: &DbUrl, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", database_url(url))
        .env("CANDOR_ADMIN_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A fresh database prepared by the binary's CLI: an admin, and an API token of theirs.
/// Dropping it drops the PostgreSQL test database and the temporary folder.
pub struct Prepared {
    pub url: DbUrl,
    pub dir: PathBuf,
    /// `DATABASE_URL` as the binary reads it.
    pub db_url: String,
    /// The admin's API token.
    pub token: String,
    pg: Option<(String, String)>,
}

impl Prepared {
    pub fn new() -> Self {
        let (url, dir, pg) = fresh_database();
        let db_url = database_url(&url);
        let mut p = Self {
            url,
            dir,
            db_url,
            token: String::new(),
            pg,
        };
        p.cli(&["admin", "create", "--email", ADMIN_EMAIL]);
        p.token = p
            .cli(&["token", "create", "--email", ADMIN_EMAIL])
            .trim()
            .to_owned();
        p
    }

    /// Runs one CLI command on this database (see `cli`).
    pub fn cli(&self, args: &[&str]) -> String {
        cli(&self.url, args)
    }

    /// `candor serve` on `http`, mailing through the SMTP server on `smtp_port` and logging
    /// everything (trace) to `log`; returns once it accepts connections.
    pub fn serve_mailing(&self, http: u16, smtp_port: u16, log: &Path) -> Child {
        let child = Command::new(BIN)
            .arg("serve")
            .env("DATABASE_URL", &self.db_url)
            .env("CANDOR_BIND", format!("127.0.0.1:{http}"))
            .env("CANDOR_BASE_URL", format!("http://127.0.0.1:{http}"))
            .env("CANDOR_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
            .env("CANDOR_MAIL_FROM", crate::delivery::FROM)
            .env("CANDOR_LOG", "trace")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        crate::delivery::wait_until("the server to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", http)).is_ok()
        });
        child
    }

    /// The server's API on `http` as the admin's token (`as_admin`) or as nobody.
    pub fn api(&self, http: u16, as_admin: bool) -> Api {
        Api {
            base: format!("http://127.0.0.1:{http}/api/v1"),
            token: as_admin.then(|| self.token.clone()),
            client: reqwest::blocking::Client::new(),
        }
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg.take() {
            if let Ok(mut conn) = diesel::PgConnection::establish(&admin_url) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
