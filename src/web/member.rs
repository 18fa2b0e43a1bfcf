//! The member's anonymous routes, declared in one table and mounted as one scope.
//!
//! Every feature adds its member routes (pages under `/p`, the member API under `/api/v1`,
//! the key directory, the transparency page, the static assets) to a `MemberRoutes` in its
//! `configure_member`, never to `configure`. `app.rs` collects them and mounts them with
//! `into_scope`: one scope wrapped by the privacy middleware's anonymous half, entered only
//! by a request that matches one of its routes. The same table, through `MemberPaths`, tells
//! the outer privacy middleware which requests get no log line (G4, G5), including those
//! refused before routing (the input guard). So the list of anonymous paths is the routing
//! itself: a member route cannot exist outside the scope, and no path string is kept apart.

use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ResourceDef;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Next};
use actix_web::{guard, web, FromRequest, Handler, Responder, Route, Scope};

use crate::error::AppError;

/// One member route: where it is and whether the path belongs to members alone.
#[derive(Clone, Debug)]
pub struct MemberPath {
    pub method: Method,
    pub pattern: &'static str,
    /// False when staff routes share the path with other methods
    /// (`GET /api/v1/reviews/{id}/accounts` is the facilitators'; `POST` is the writers').
    pub exclusive: bool,
    def: ResourceDef,
}

impl MemberPath {
    fn matches(&self, method: &Method, path: &str) -> bool {
        if !self.def.is_match(path) {
            return false;
        }
        // Other methods on a members-only path (a HEAD, a mistaken GET) are refused inside
        // the scope, still without a log line or a cookie.
        self.exclusive
            || *method == self.method
            || (*method == Method::HEAD && self.method == Method::GET)
    }
}

/// Whether the member table claims a request, decided once and kept in the request's
/// extensions: the privacy middleware, the guide middleware and the member scope's guard all
/// ask, and each sweep of the table costs a pattern match per route (issue 13's profile put
/// routing at a tenth of an answer's CPU).
#[derive(Clone, Copy, Debug)]
pub struct MemberClaim(pub bool);

/// The member routes' paths and methods: what the guard and the privacy middleware consult.
#[derive(Clone, Debug, Default)]
pub struct MemberPaths(Rc<Vec<MemberPath>>);

impl MemberPaths {
    /// Whether this request is a member's: no cookie reaches it, none is set, nothing logged.
    pub fn is_anonymous(&self, method: &Method, path: &str) -> bool {
        self.0.iter().any(|p| p.matches(method, path))
    }

    pub fn iter(&self) -> impl Iterator<Item = &MemberPath> {
        self.0.iter()
    }
}

/// The table every feature adds its member routes to.
#[derive(Default)]
pub struct MemberRoutes {
    paths: Vec<MemberPath>,
    routes: Vec<(&'static str, Route)>,
}

impl MemberRoutes {
    pub fn get<F, Args>(&mut self, pattern: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, pattern, true, web::get().to(handler))
    }

    pub fn post<F, Args>(&mut self, pattern: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, pattern, true, web::post().to(handler))
    }

    /// A member `POST` on a path where staff have other methods.
    pub fn post_beside_staff<F, Args>(&mut self, pattern: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, pattern, false, web::post().to(handler))
    }

    /// Every method on a members-only path (the scope's catch-all for unknown `/p` paths).
    pub fn any<F, Args>(&mut self, pattern: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, pattern, true, web::route().to(handler))
    }

    fn add(
        &mut self,
        method: Method,
        pattern: &'static str,
        exclusive: bool,
        route: Route,
    ) -> &mut Self {
        self.paths.push(MemberPath {
            method,
            pattern,
            exclusive,
            def: ResourceDef::new(pattern),
        });
        self.routes.push((pattern, route));
        self
    }

    pub fn paths(&self) -> MemberPaths {
        MemberPaths(Rc::new(self.paths.clone()))
    }

    /// One scope holding every member route, entered only by a request one of them matches
    /// (so staff routes on neighbouring paths are untouched), wrapped by the middleware that
    /// strips cookies on the way in and out. `default` answers a members-only path called
    /// with another method.
    pub fn into_scope<F, Args>(
        self,
        default: F,
    ) -> Scope<
        impl actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    >
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let paths = self.paths();
        let mut scope = web::scope("")
            .guard(guard::fn_guard(move |ctx| {
                let claimed = ctx.req_data().get::<MemberClaim>().copied();
                claimed.map_or_else(
                    || paths.is_anonymous(&ctx.head().method, ctx.head().uri.path()),
                    |MemberClaim(c)| c,
                )
            }))
            .default_service(web::to(default));
        for (pattern, route) in self.routes {
            scope = scope.route(pattern, route);
        }
        scope.wrap(from_fn(strip_cookies))
    }
}

/// Marks a response that came out of the member scope, so the outer privacy middleware
/// writes no log line for it whatever the table says.
#[derive(Clone, Copy)]
pub struct Anonymous;

/// The member scope's own middleware: no handler in it ever sees a cookie, and no response
/// from it sets one (G5). The outer `privacy::middleware` adds the headers and the log rule.
///
/// An error page of a member's page is drawn for members: its way back leads to `/p`, never
/// to the staff side (issue 15).
async fn strip_cookies(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    req.headers_mut().remove(header::COOKIE);
    let page = is_member_page(req.path());
    let mut res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    // Only the plain error pages: an error a handler returned, or the 404/405 of an unrouted
    // member path. A page a handler chose to send with a 4xx (a refused form shown again with
    // its errors, the receipt form) is left as it is.
    let errored = res.response().error().is_some();
    let plain = errored || matches!(status.as_u16(), 404 | 405);
    if page && html && plain && (status.is_client_error() || status.is_server_error()) {
        let detail = res
            .response()
            .error()
            .and_then(|e| e.as_error::<AppError>())
            .map_or_else(|| generic_detail(status), AppError::detail);
        let body = crate::html::member_error_page(status, &detail).into_string();
        res = res.map_body(|_, _| BoxBody::new(body));
    }
    res.headers_mut().remove(header::SET_COOKIE);
    res.response_mut().extensions_mut().insert(Anonymous);
    Ok(res)
}

/// A member's page, as opposed to the member API, the key directory or an asset.
fn is_member_page(path: &str) -> bool {
    path == "/p" || path.starts_with("/p/") || path == "/transparency"
}

/// What an error page says when the response carries no `AppError` (an unrouted member path).
fn generic_detail(status: actix_web::http::StatusCode) -> String {
    match status.as_u16() {
        404 => AppError::NotFound.detail(),
        405 => AppError::MethodNotAllowed.detail(),
        _ => status.canonical_reason().unwrap_or("Error").to_lowercase(),
    }
}
