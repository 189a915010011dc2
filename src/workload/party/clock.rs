//! The wall clock both sides of a driven rep stamp changes with, and the boot id that tells
//! whether two agents read the same kernel's clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds since the epoch on this kernel's real-time clock.
pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// This kernel's boot id; containers share their host kernel's. Empty where there is none,
/// which matches no other.
pub fn boot_id() -> String {
    crate::platform::boot_id().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_moves_and_the_boot_id_is_stable() {
        let a = now_ns();
        assert!(a > 1_600_000_000_000_000_000);
        assert!(now_ns() >= a);
        assert_eq!(boot_id(), boot_id());
    }
}
