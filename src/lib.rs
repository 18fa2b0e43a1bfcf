//! Candor: anonymous pre-review accounts, team pulse surveys and culture metrics that stay
//! anonymous against the operator. `main.rs` parses the CLI; everything else starts here.

pub mod app;
pub mod assets;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod disclosure;
pub mod error;
pub mod field;
pub mod followthrough;
pub mod grow;
pub mod guide;
pub mod html;
pub mod id;
pub mod instance;
pub mod members;
pub mod metrics;
pub mod openapi;
pub mod privacy;
pub mod pulse;
pub mod receipt;
pub mod reviews;
pub mod schedule;
pub mod secret;
pub mod state;
pub mod teams;
pub mod threads;
pub mod tokens;
pub mod web;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer};

use crate::auth::password::Hasher;
use crate::config::Settings;
use crate::db::Db;
use crate::state::AppState;

/// Opens the database, runs migrations and loads the instance secret.
pub fn build_state(settings: Settings) -> Result<AppState, String> {
    if let db::DbUrl::Sqlite(path) = &settings.database {
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    let db = Db::connect(&settings.database, settings.db_connections)?;
    db.migrate()?;
    let keys = {
        let mut conn = db.get_write().map_err(|e| e.to_string())?;
        let keys = secret::load_or_create(&mut conn, settings.secret.as_deref())
            .map_err(|e| e.to_string())?;
        let lifted = teams::store::lift_thresholds(&mut conn, settings.threshold_floor)
            .map_err(|e| e.to_string())?;
        if lifted > 0 {
            // Cached culture metrics were computed under the old thresholds.
            metrics::invalidate(&mut conn).map_err(|e| e.to_string())?;
        }
        if lifted > 0 {
            tracing::info!(target: "candor", floor = settings.threshold_floor, rows = lifted, "raised thresholds below CANDOR_THRESHOLD_FLOOR");
        }
        keys
    };
    // Half the cores hash passwords at most, so logins can never take the whole machine.
    let hasher = Hasher::new((settings.workers / 2).max(1)).map_err(|e| e.to_string())?;
    let answers = db::batch::GroupCommit::new(&db, "answers", pulse::actions::member::check_open)?;
    Ok(AppState {
        answers,
        rounds: Default::default(),
        db,
        keys,
        settings,
        hasher,
        key_cache: Default::default(),
        metrics: Default::default(),
        clock: clock::Clock::system(),
        delivery: Default::default(),
        catch_up: Default::default(),
    })
}

/// The HTTP server on a bound listener (tests bind port 0).
pub fn server(state: AppState, listener: TcpListener) -> std::io::Result<Server> {
    let workers = state.settings.workers;
    let state = actix_web::web::Data::new(state);
    // Every periodic job (`schedule.rs`): rounds open and close whether or not anyone visits.
    let ticking = state.clone();
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(std::time::Duration::from_secs(30));
        loop {
            every.tick().await;
            schedule::run(&ticking).await;
        }
    });
    // The outbox worker (`schedule::deliver_forever`): sends what actions queued, woken at
    // once by a queueing request and polling every few seconds for retries.
    actix_web::rt::spawn(schedule::deliver_forever(state.clone()));
    let server = HttpServer::new(move || {
        App::new()
            // The input guard runs inside the privacy middleware, so a refusal still gets the
            // security headers and anonymous routes still log nothing.
            .wrap(from_fn(web::guide::middleware))
            .wrap(from_fn(web::input::guard))
            .wrap(from_fn(privacy::middleware))
            .configure(app::configure(state.clone()))
    })
    .workers(workers)
    .listen(listener)?
    .run();
    Ok(server)
}
