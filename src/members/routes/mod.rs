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
        .get("/transparency", transparency)
        .post("/api/v1/participate", api_participate)
        .get("/api/v1/transparency", api_transparency)
        .get("/api/v1/keys", api_keys);
}
