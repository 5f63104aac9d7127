//! Work counted by the text parsers (links, markdown), so that tests can show they take
//! linear time on any input by counting steps instead of timing them.
//!
//! Each loop iteration of a parser calls [`step`]. Outside tests it does nothing and compiles
//! away; in tests it adds one to a per-thread counter that [`count`] reads around a call.

#[cfg(test)]
thread_local! {
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// One unit of work done.
#[inline(always)]
pub fn step() {
    #[cfg(test)]
    STEPS.with(|s| s.set(s.get() + 1));
}

/// Runs `work` and returns its result with the steps it took (on this thread).
#[cfg(test)]
pub fn count<T>(work: impl FnOnce() -> T) -> (T, u64) {
    let before = STEPS.with(std::cell::Cell::get);
    let result = work();
    (result, STEPS.with(std::cell::Cell::get) - before)
}
