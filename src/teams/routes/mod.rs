//! Team routes: staff pages (`staff.rs`) and the JSON API (`api.rs`).

mod api;
mod staff;

use actix_web::web;

pub use super::model::{CUSTODY_MEMBER, CUSTODY_STAFF};

pub fn configure(cfg: &mut web::ServiceConfig) {
    use staff::*;
    cfg.route("/teams", web::get().to(list))
        .route("/teams", web::post().to(create))
        .route("/teams/{id}", web::get().to(detail))
        .route("/teams/{id}/members", web::post().to(add_members))
        .route(
            "/teams/{id}/members/{member}/regenerate",
            web::post().to(regenerate),
        )
        .route(
            "/teams/{id}/members/{member}/remove",
            web::post().to(remove),
        )
        .route("/teams/{id}/settings", web::post().to(settings))
        .route("/teams/{id}/leaders", web::post().to(add_leader))
        .route("/teams/{id}/invites.csv", web::get().to(invites_csv))
        .route("/teams/{id}/invites/show", web::post().to(show_links));
}

/// This feature's API operations and schemas, for the OpenAPI document (src/openapi.rs).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    api::TeamsApi::openapi()
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    use api::*;
    cfg.route("/teams", web::post().to(api_create))
        .route("/teams", web::get().to(api_list))
        .route("/teams/{id}", web::get().to(api_get))
        .route("/teams/{id}", web::patch().to(api_update))
        .route("/teams/{id}/members", web::post().to(api_add_members))
        .route(
            "/teams/{id}/members/{member}",
            web::delete().to(api_remove_member),
        )
        .route(
            "/teams/{id}/members/{member}/invite",
            web::post().to(api_regenerate),
        )
        .route("/teams/{id}/invites", web::get().to(api_invites));
}
