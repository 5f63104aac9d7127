//! When a field is left out of a frame: the `skip_serializing_if` predicates every wire type
//! shares (a field that says nothing is absent on the wire).

/// Whether a flag is unset.
pub(crate) fn is_false(flag: &bool) -> bool {
    !*flag
}

/// Whether a count is zero.
pub(crate) fn is_zero(count: &u64) -> bool {
    *count == 0
}
