//! The member's entry: `/p` (the invite link lands here), `POST /api/v1/participate`, the
//! key directory and the public transparency page, all in `member.rs`. All anonymous: no
//! cookie, no log line (G4, G5).

mod member;

use crate::web::member::MemberRoutes;

pub use super::actions::CLOSED_KEYS_LISTED_DAYS;

/// Every route here is anonymous: mounted in the member scope (`web::member`).
pub fn configure_member(m: &mut MemberRoutes) {
    use member::*;
    m.get("/p", landing)
        .post("/p", open_page)
        // A member's form opened by GET (back button, bookmark, reload): the invite is never
        // in the address, so this says how to get back instead of a 404 (issue 15).
        .get("/p/rounds/{id}", reopen)
        .get("/p/reviews/{id}", reopen)
        .get("/transparency", transparency)
        .post("/api/v1/participate", api_participate)
        .get("/api/v1/transparency", api_transparency)
        .get("/api/v1/keys", api_keys)
        // The counted-token bulletin (G16): a member's browser reads it to find its own token,
        // so the read is no more logged or tied to a cookie than the answer was.
        .get("/api/v1/rounds/{id}/bulletin", api_round_bulletin)
        .get("/api/v1/reviews/{id}/bulletin", api_review_bulletin);
}

/// This feature's API operations and schemas, for the OpenAPI document (src/openapi/).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    member::MembersApi::openapi()
}
