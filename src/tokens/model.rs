//! The one id this feature owns: the scope a key, a frozen roster, issuance records and the
//! spent set belong to.

crate::typed_id!(
    /// A scope of blind tokens: a pulse round or a review, nothing else. Its string is the
    /// round's or the review's id (the two are random, so they never meet), which is why a
    /// scope is made from a `RoundId` or a `ReviewId` (`From<&RoundId>` in `pulse::model`,
    /// `From<&ReviewId>` in `reviews::model`) and read back from `signing_keys.scope_id`.
    ScopeId
);
