//! `/admin/instance` and `GET /api/v1/instance`: admins only.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::pages::{self, InstanceView};
use crate::auth::routes::{ApiStaff, Staff};
use crate::db::{blocking, scrub, Backend};
use crate::error::{ApiResult, AppError, PageResult, Problem};
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
        webhook: crate::delivery::webhooks::default_shown(state).await?,
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

/// What admins see of the instance: the backend, the threshold floor, and whether the
/// close-time scrub (G15) is owed.
#[derive(Serialize, ToSchema)]
pub struct InstanceJson {
    /// `SQLite` or `PostgreSQL`.
    #[schema(value_type = String)]
    backend: &'static str,
    threshold_floor: u16,
    scrub: scrub::Status,
}

/// The scrub's state after a retry.
#[derive(Serialize, ToSchema)]
pub struct ScrubJson {
    scrub: scrub::Status,
}

/// The instance's backend, threshold floor and scrub state (admins only).
#[utoipa::path(get, path = "/instance", tag = "instance",
    responses((status = 200, description = "The instance", body = InstanceJson),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")))]
async fn api_instance(state: web::Data<AppState>, staff: ApiStaff) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let v = view(&state).await?;
    Ok(HttpResponse::Ok().json(InstanceJson {
        backend: v.backend,
        threshold_floor: v.threshold_floor,
        scrub: v.scrub,
    }))
}

/// Retries an owed close-time scrub now (admins only): the same retry as the instance page.
#[utoipa::path(post, path = "/instance/scrub", tag = "instance",
    responses((status = 200, description = "The scrub's state after the retry", body = ScrubJson),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json")))]
async fn api_retry(state: web::Data<AppState>, staff: ApiStaff) -> ApiResult<HttpResponse> {
    staff.require_admin()?;
    let db = state.db.clone();
    let after = blocking(move || scrub::run(&db)).await?;
    Ok(HttpResponse::Ok().json(ScrubJson { scrub: after }))
}

/// The instance operations, merged into the document by src/openapi.rs.
#[derive(OpenApi)]
#[openapi(paths(api_instance, api_retry))]
pub struct InstanceApi;

/// This feature's API operations and schemas, for the OpenAPI document (src/openapi.rs).
pub fn openapi() -> utoipa::openapi::OpenApi {
    InstanceApi::openapi()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/instance", web::get().to(page))
        .route("/admin/instance/scrub", web::post().to(retry));
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/instance", web::get().to(api_instance))
        .route("/instance/scrub", web::post().to(api_retry));
}
