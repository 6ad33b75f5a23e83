//! Offset paging of a list (`?from=&take=`, docs/api.md §3): rows `from..from + take`.

/// Rows a page holds unless `take` says otherwise, and the most it may say.
pub const DEFAULT_TAKE: usize = 100;
pub const MAX_TAKE: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub from: usize,
    pub take: usize,
}

impl Default for Paging {
    fn default() -> Self {
        Paging {
            from: 0,
            take: DEFAULT_TAKE,
        }
    }
}
