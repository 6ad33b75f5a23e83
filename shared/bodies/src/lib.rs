//! The API's bodies, both ways: request JSON read into domain values with every violation
//! reported (so a bad request is one 400 naming each problem), and domain values written as
//! the published response bodies (docs/api.md). No HTTP here: the HTTP edge hands bodies in as
//! JSON values and sends what comes out; workers can render the same bodies.

pub mod json;
pub mod links;
pub mod mandates;
pub mod notifications;
pub mod orders;
pub mod paging;
pub mod rewards;
pub mod vault;
