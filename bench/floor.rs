//! The floors the benchmark compares Candor against, measured in the same run on the same
//! machine: the least a minimal actix-web + diesel server can do for (a) one-row inserts and
//! (b) a static maud page. Same framework, same database settings as Candor (SQLite: the
//! same pragmas and a single-writer pool; PostgreSQL: a pool of 8), same worker count, and
//! none of Candor's logic. `bench/run` starts it; nothing else uses it.
//!
//! Routes: `POST /insert` (one row from a small JSON body, autocommit), `POST /verify-insert`
//! (the same after verifying one RSA-2048 PSS token signature on the blocking thread: the
//! least work an anonymous answer can do), `POST /insert/{n}` (n one-row inserts in one
//! transaction: the floor for closing a round), `GET /page`.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::{PgConnection, SqliteConnection};
use serde::Deserialize;

diesel::table! {
    floor_rows (id) {
        id -> Text,
        body -> Text,
    }
}

const CREATE: &str =
    "CREATE TABLE IF NOT EXISTS floor_rows (id TEXT PRIMARY KEY NOT NULL, body TEXT NOT NULL)";

/// The same pragmas, in the same order, as Candor's SQLite connections.
#[derive(Debug)]
struct Pragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        for pragma in [
            "PRAGMA busy_timeout = 5000",
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = ON",
            "PRAGMA secure_delete = ON",
        ] {
            conn.batch_execute(pragma)
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

#[derive(Clone)]
enum FloorDb {
    Sqlite(Pool<ConnectionManager<SqliteConnection>>),
    Pg(Pool<ConnectionManager<PgConnection>>),
}

fn new_id() -> String {
    use rand::RngExt;
    let bytes: [u8; 16] = rand::rng().random();
    candor::secret::b64(&bytes)
}

macro_rules! on_conn {
    ($db:expr, |$c:ident| $body:expr) => {
        match $db {
            FloorDb::Sqlite(pool) => {
                let mut pooled = pool.get().map_err(|e| e.to_string())?;
                let $c: &mut SqliteConnection = &mut pooled;
                $body
            }
            FloorDb::Pg(pool) => {
                let mut pooled = pool.get().map_err(|e| e.to_string())?;
                let $c: &mut PgConnection = &mut pooled;
                $body
            }
        }
    };
}

impl FloorDb {
    fn open(url: &str) -> Result<Self, String> {
        let db = if let Some(path) = url.strip_prefix("sqlite://") {
            let pool = Pool::builder()
                .max_size(1)
                .connection_timeout(Duration::from_secs(10))
                .connection_customizer(Box::new(Pragmas))
                .build(ConnectionManager::<SqliteConnection>::new(path))
                .map_err(|e| e.to_string())?;
            FloorDb::Sqlite(pool)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = Pool::builder()
                .max_size(8)
                .connection_timeout(Duration::from_secs(10))
                .build(ConnectionManager::<PgConnection>::new(url))
                .map_err(|e| e.to_string())?;
            FloorDb::Pg(pool)
        } else {
            return Err(format!("{url}: use sqlite://PATH or postgres://..."));
        };
        on_conn!(&db, |c| c.batch_execute(CREATE).map_err(|e| e.to_string()))?;
        Ok(db)
    }

    fn insert(&self, body: String, n: usize) -> Result<(), String> {
        let rows = |body: &str| {
            (0..n)
                .map(|_| {
                    (
                        floor_rows::id.eq(new_id()),
                        floor_rows::body.eq(body.to_owned()),
                    )
                })
                .collect::<Vec<_>>()
        };
        on_conn!(self, |c| {
            if n == 1 {
                let row = rows(&body).remove(0);
                diesel::insert_into(floor_rows::table)
                    .values(row)
                    .execute(c)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            } else {
                c.transaction::<_, diesel::result::Error, _>(|c| {
                    for row in rows(&body) {
                        diesel::insert_into(floor_rows::table)
                            .values(row)
                            .execute(c)?;
                    }
                    Ok(())
                })
                .map_err(|e| e.to_string())
            }
        })
    }
}

#[derive(Deserialize)]
struct Body {
    body: String,
}

async fn insert_one(db: web::Data<FloorDb>, body: web::Json<Body>) -> HttpResponse {
    let db = db.get_ref().clone();
    let body = body.into_inner().body;
    match web::block(move || db.insert(body, 1)).await {
        Ok(Ok(())) => HttpResponse::Created().json(serde_json::json!({ "stored": true })),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

async fn insert_many(db: web::Data<FloorDb>, n: web::Path<usize>) -> HttpResponse {
    let db = db.get_ref().clone();
    let n = n.into_inner().clamp(1, 100_000);
    let body = "x".repeat(300);
    match web::block(move || db.insert(body, n)).await {
        Ok(Ok(())) => HttpResponse::Created().json(serde_json::json!({ "stored": n })),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

/// A token signed at start under the floor's own round key: every request verifies it again
/// (verification costs the same whatever the token), then inserts one row.
struct Signed {
    key: candor::tokens::crypto::PublicKey,
    token: candor::tokens::crypto::Token,
}

fn signed_token() -> Result<Signed, String> {
    use candor::tokens::crypto;
    let key = crypto::generate().map_err(|e| e.to_string())?;
    let req = crypto::ClientRequest::new(&key.public, &key.public.fingerprint)?;
    let sk = crypto::parse_secret(&key.secret_der).map_err(|e| e.to_string())?;
    let blinded = candor::secret::unb64(&req.blinded_message).ok_or("blinded")?;
    let sig = crypto::sign_blinded(&sk, &blinded).map_err(|e| e.to_string())?;
    let token = req.finalize(&candor::secret::b64(&sig))?;
    Ok(Signed {
        key: crypto::parse_public(&key.public_der).map_err(|e| e.to_string())?,
        token: crypto::Token::decode(&token).map_err(|e| e.to_string())?,
    })
}

async fn verify_insert(
    db: web::Data<FloorDb>,
    signed: web::Data<Signed>,
    body: web::Json<Body>,
) -> HttpResponse {
    let (db, signed) = (db.get_ref().clone(), signed.into_inner());
    let body = body.into_inner().body;
    let done = web::block(move || {
        if !signed.token.verifies(&signed.key) {
            return Err("token does not verify".to_owned());
        }
        db.insert(body, 1)
    })
    .await;
    match done {
        Ok(Ok(())) => HttpResponse::Created().json(serde_json::json!({ "stored": true })),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

/// A static page of about the size of Candor's member pages.
async fn page() -> maud::Markup {
    maud::html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Floor" } link rel="stylesheet" href="/static/style.css"; }
            body {
                main {
                    h1 { "A static page" }
                    p { "The least an actix-web handler rendering maud can cost on this machine." }
                    ul { @for i in 0..20 { li { "Item " (i) ": some words to give the page a body." } } }
                }
            }
        }
    }
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("candor-floor: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut url, mut bind, mut workers) = (None, "127.0.0.1:0".to_owned(), 2usize);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--database" => url = args.next(),
            "--bind" => bind = args.next().unwrap_or(bind),
            "--workers" => workers = args.next().and_then(|w| w.parse().ok()).unwrap_or(workers),
            _ => {
                return Err(format!(
                    "unknown argument {a}; use --database URL --bind ADDR --workers N"
                ))
            }
        }
    }
    let url = url.ok_or("--database URL is required")?;
    let db = FloorDb::open(&url)?;
    let listener = TcpListener::bind(&bind).map_err(|e| format!("{bind}: {e}"))?;
    eprintln!(
        "candor-floor listening on {}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let data = web::Data::new(db);
    let signed = web::Data::new(signed_token()?);
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(signed.clone())
                .route("/insert", web::post().to(insert_one))
                .route("/verify-insert", web::post().to(verify_insert))
                .route("/insert/{n}", web::post().to(insert_many))
                .route("/page", web::get().to(page))
        })
        .workers(workers)
        .listen(listener)
        .map_err(|e| e.to_string())?
        .run()
        .await
        .map_err(|e| e.to_string())
    })
}
