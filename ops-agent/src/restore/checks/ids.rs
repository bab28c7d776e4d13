//! What a check is called and what it found: [`CheckId`] with its stable external names (the
//! report's `id`) and [`CheckResult`], plus the two ways the checks build one.

use std::fmt;

/// Which check; its external spelling ([`CheckId::as_str`]) is the report's `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    /// The dump's size and sha256 match its manifest (before anything is restored).
    Sha256,
    /// The counted tables exist.
    TablesExist,
    /// Row counts equal the manifest's.
    RowCounts,
    /// Every foreign key points at a row.
    NoOrphanedForeignKeys,
    /// No two confirmed bookings of a master overlap.
    NoOverlappingBookings,
    /// `bookings_no_overlap` and the manifest's indexes exist.
    ConstraintsAndIndexes,
    /// Every sequence is at or past its table's `max(id)`.
    SequencesAheadOfIds,
    /// A write succeeds and rolls back.
    RolledBackWrite,
}

impl CheckId {
    /// The stable external name, e.g. `row_counts`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Sha256 => "sha256",
            CheckId::TablesExist => "tables_exist",
            CheckId::RowCounts => "row_counts",
            CheckId::NoOrphanedForeignKeys => "no_orphaned_foreign_keys",
            CheckId::NoOverlappingBookings => "no_overlapping_bookings",
            CheckId::ConstraintsAndIndexes => "constraints_and_indexes",
            CheckId::SequencesAheadOfIds => "sequences_ahead_of_ids",
            CheckId::RolledBackWrite => "rolled_back_write",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`: the text report aligns the ids with `{:<26}`.
        f.pad(self.as_str())
    }
}

/// One integrity check's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckResult {
    /// Which check.
    pub id: CheckId,
    /// Whether it passed.
    pub passed: bool,
    /// Its figures, in a sentence.
    pub detail: String,
}

/// A result with its figures.
pub(super) fn result(id: CheckId, passed: bool, detail: String) -> CheckResult {
    CheckResult { id, passed, detail }
}

/// A check whose query failed: failed, with the error as its figures.
pub(super) fn failed(id: CheckId, e: &sqlx::Error) -> CheckResult {
    result(id, false, format!("query failed: {e}"))
}
