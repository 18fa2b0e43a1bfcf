//! `/admin/instance` and `GET /api/v1/instance`: admins only.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::pages::{self, InstanceView};
use crate::auth::routes::{ApiStaff, Staff};
use crate::db::{blocking, scrub, Backend};
use crate::error::{ApiResult, AppError, PageResult};
use crate::state::AppState;
use crate::web::form::Csrf;

async fn view(state: &AppState) -> Result<InstanceView, AppError> {
    let status = state.db.read(|c| Ok(scrub::status(c)?)).await?;
    Ok(InstanceView {
        backend: match state.db.backend() {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        },
        threshold_floor: state.settings.threshold_floor,
        scrub: status,
    })
}

async fn page(state: web::Data<AppState>, staff: Staff) -> PageResult<maud::Markup> {
    staff.require_admin()?;
    Ok(pages::instance(&staff.viewer(), &view(&state).await?, None))
}

#[derive(Deserialize)]
pub struct CsrfForm {}

/// Retries an owed scrub now, e.g. once the backup that kept it from finishing has ended.
async fn retry(
    state: web::Data<AppState>,
    staff: Staff,
    _: Csrf<web::Form<CsrfForm>>,
) -> PageResult<maud::Markup> {
    staff.require_admin()?;
    let db = state.db.clone();
    let after = blocking(move || scrub::run(&db)).await?;
    let message = if after.pending {
        "The scrub did not complete; see the cause below."
    } else {
        "The scrub completed."
    };
    Ok(pages::instance(
        &staff.viewer(),
        &view(&state).await?,
        Some(message),
    ))
}

async fn api_instance(state: web::Data<AppState>, staff: ApiStaff) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let v = view(&state).await?;
    Ok(HttpResponse::Ok().json(json!({
        "backend": v.backend,
        "threshold_floor": v.threshold_floor,
        "scrub": v.scrub,
    })))
}

/// `POST /api/v1/instance/scrub`: the same retry for scripts.
async fn api_retry(state: web::Data<AppState>, staff: ApiStaff) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let db = state.db.clone();
    let after = blocking(move || scrub::run(&db)).await?;
    Ok(HttpResponse::Ok().json(json!({ "scrub": after })))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/instance", web::get().to(page))
        .route("/admin/instance/scrub", web::post().to(retry));
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/instance", web::get().to(api_instance))
        .route("/instance/scrub", web::post().to(api_retry));
}
