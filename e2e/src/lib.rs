//! Browser tests; see tests/.
