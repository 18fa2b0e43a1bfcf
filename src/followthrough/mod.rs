//! Closing the loop (issue 16): what staff do about what they heard, and members seeing it.
//!
//! - **Actions after a round** ("you said, we did"): on a closed round's results a leader
//!   records what will be done, the question or comment theme it answers, an owner among
//!   staff, a due day and a status. Members see their team's actions on their landing page,
//!   at the top of the next round's form and in `POST /participate`; the culture metrics count
//!   actions per round and how many were done by the next round's close.
//! - **Action items from reviews**: a facilitator records them while reading accounts, linked
//!   to released accounts (by the number they are read under) or their timeline entries,
//!   never to anything still held; the pre-read lists them, they export as CSV and as a
//!   Markdown checklist, and the review's writers see them (without the links).
//!
//! Both are staff records, not anonymous data: nothing here is written on a member's request.
//! Everything a member reads carries days only.

pub mod actions;
pub mod model;
pub mod pages;
pub mod routes;
pub mod store;
