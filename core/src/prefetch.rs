//! Software prefetch: starts loading a cache line without waiting for it, so that a host
//! about to touch many cold objects in a row (answering a batch of events) has their loads
//! overlap instead of each one stalling in turn.

/// Starts loading the cache line that holds `value`.
#[inline]
pub(crate) fn line<T: ?Sized>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing into the program and never faults.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((value as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
