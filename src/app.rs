//! Shared state, middleware, and each feature's routes: this file reads like a sitemap.

use actix_web::error::{InternalError, JsonPayloadError, UrlencodedError};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::{problem_response, AppError};
use crate::state::AppState;
use crate::web::member::MemberRoutes;

pub use crate::web::MAX_BODY;

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let app = match &err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::TooLarge
        }
        JsonPayloadError::ContentType => {
            AppError::BadRequest("send a JSON body with Content-Type: application/json".into())
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            AppError::Invalid(vec![crate::error::FieldError::new("body", e.to_string())])
        }
        JsonPayloadError::Deserialize(e) => {
            AppError::BadRequest(format!("the body is not valid JSON: {e}"))
        }
        _ => AppError::BadRequest("the request body could not be read".into()),
    };
    InternalError::from_response(err, problem_response(&app)).into()
}

fn form_error(err: UrlencodedError, req: &HttpRequest) -> actix_web::Error {
    let app = match &err {
        UrlencodedError::Overflow { .. } => AppError::TooLarge,
        UrlencodedError::ContentType => {
            AppError::BadRequest("send the form as application/x-www-form-urlencoded".into())
        }
        _ => {
            AppError::BadRequest("the form could not be read; reload the page and try again".into())
        }
    };
    let res = if req.path().starts_with("/api/") {
        problem_response(&app)
    } else {
        actix_web::ResponseError::error_response(&app)
    };
    InternalError::from_response(err, res).into()
}

fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    let res = if req.path().starts_with("/api/") {
        problem_response(&AppError::NotFound)
    } else {
        actix_web::ResponseError::error_response(&AppError::NotFound)
    };
    InternalError::from_response(err, res).into()
}

fn query_error(err: actix_web::error::QueryPayloadError, req: &HttpRequest) -> actix_web::Error {
    let app = AppError::BadRequest("the query string is not valid".into());
    let res = if req.path().starts_with("/api/") {
        problem_response(&app)
    } else {
        actix_web::ResponseError::error_response(&app)
    };
    InternalError::from_response(err, res).into()
}

/// Methods Candor routes at all. Anything else (TRACE, CONNECT, made-up methods) is a 405 on
/// every path, so a scanner learns nothing and TRACE can never echo a request back.
const ROUTED_METHODS: &str = "GET, HEAD, POST, PATCH, PUT, DELETE";

pub(crate) async fn not_found(req: HttpRequest) -> HttpResponse {
    use actix_web::http::Method;
    let known = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PATCH,
        Method::DELETE,
        Method::PUT,
        Method::OPTIONS,
    ];
    // A documented API path asked with another method: 405 with the methods it has.
    let documented = req
        .path()
        .strip_prefix("/api/v1")
        .and_then(crate::openapi::allowed_methods);
    let err = if known.contains(req.method()) && documented.is_none() {
        AppError::NotFound
    } else {
        AppError::MethodNotAllowed
    };
    let mut res = if req.path().starts_with("/api/") {
        problem_response(&err)
    } else {
        actix_web::ResponseError::error_response(&err)
    };
    if matches!(err, AppError::MethodNotAllowed) {
        let allow = match documented {
            Some(methods) => header::HeaderValue::from_str(&methods.join(", ")),
            None => Ok(header::HeaderValue::from_static(ROUTED_METHODS)),
        };
        if let Ok(allow) = allow {
            res.headers_mut().insert(header::ALLOW, allow);
        }
    }
    res
}

async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let ok = state.db.read(|c| {
        use diesel::connection::SimpleConnection;
        c.batch_execute("SELECT 1").map_err(AppError::from)
    });
    match ok.await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ok", "database": "ok" })),
        Err(_) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "error", "database": "unreachable" })),
    }
}

/// Every route a member reaches without an account, from every feature: one table, mounted as
/// one scope under the privacy middleware (`web::member`). Public so tests enumerate it.
pub fn member_routes() -> MemberRoutes {
    let mut m = MemberRoutes::default();
    // Every asset, versioned or not, and a 404 for any other path under /static
    // (`assets::serve`): a mistyped asset is a member's request like any other.
    m.get("/static/{tail:.*}", crate::assets::serve);
    crate::members::routes::configure_member(&mut m);
    crate::tokens::routes::configure_member(&mut m);
    crate::pulse::routes::configure_member(&mut m);
    crate::reviews::routes::configure_member(&mut m);
    crate::threads::routes::configure_member(&mut m);
    // Last: a mistyped member link or asset is answered 404 inside the scope, so it is
    // not logged either (it carries a member's visit time as much as a real page does).
    m.any("/p/{tail:.*}", not_found);
    m
}

/// The whole application: middleware, shared state and every feature's routes.
pub fn configure(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        let members = member_routes();
        cfg.app_data(state)
            .app_data(
                web::JsonConfig::default()
                    .limit(MAX_BODY)
                    .error_handler(json_error),
            )
            .app_data(
                web::FormConfig::default()
                    .limit(MAX_BODY)
                    .error_handler(form_error),
            )
            .app_data(web::PathConfig::default().error_handler(path_error))
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(web::PayloadConfig::default().limit(MAX_BODY))
            // First, so a member's request is routed inside the scope; its guard lets every
            // other request through to the staff routes below.
            .app_data(members.paths())
            .app_data(crate::web::input::ApiMethods(
                crate::openapi::allowed_methods,
            ))
            .service(members.into_scope(not_found))
            .route("/healthz", web::get().to(healthz))
            .route(
                crate::openapi::PAGE_PATH,
                web::get().to(crate::openapi::docs_page),
            )
            .service(
                web::scope("/api/v1")
                    .route("/openapi.json", web::get().to(crate::openapi::document))
                    .configure(crate::auth::routes::configure_api)
                    .configure(crate::teams::routes::configure_api)
                    .configure(crate::pulse::routes::configure_api)
                    .configure(crate::metrics::routes::configure_api)
                    .configure(crate::reviews::routes::configure_api)
                    .configure(crate::threads::routes::configure_api)
                    .configure(crate::instance::routes::configure_api)
                    .configure(crate::delivery::routes::configure_api)
                    .configure(crate::followthrough::routes::configure_api)
                    .default_service(web::to(not_found)),
            )
            .configure(crate::auth::routes::configure)
            .configure(crate::teams::routes::configure)
            .configure(crate::pulse::routes::configure)
            .configure(crate::metrics::routes::configure)
            .configure(crate::reviews::routes::configure)
            .configure(crate::threads::routes::configure)
            .configure(crate::instance::routes::configure)
            .configure(crate::delivery::routes::configure)
            .configure(crate::followthrough::routes::configure)
            .default_service(web::to(not_found));
    }
}
