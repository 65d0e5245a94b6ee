//! Process-wide tuning of the C allocator (glibc malloc), which both JPEG
//! decoders allocate through.
//!
//! A progressive JPEG keeps a coefficient buffer for the whole image (about
//! 25 MB for a 2560×1600 photo) that is freed after every decode. With
//! glibc's defaults that memory goes back to the kernel each time and the
//! next decode faults every page in again, zeroed: about 10% of a cold
//! render's CPU. Here the mmap threshold is raised to its maximum (32 MiB)
//! and freed memory is kept up to 64 MiB per arena, so those buffers are
//! reused. Peak RSS does not grow; memory is just returned later.
//!
//! This module must never change behaviour an operator asked for: when the
//! environment already tunes malloc (`config::environment_tunes_malloc`), it
//! does nothing. It must never read the environment itself.

/// Allocations of at least this many bytes are mapped on their own; glibc
/// caps the setting at 32 MiB on 64-bit machines.
pub const MMAP_THRESHOLD_BYTES: i32 = 32 << 20;

/// Free memory at the top of an arena beyond this is returned to the kernel.
pub const TRIM_THRESHOLD_BYTES: i32 = 64 << 20;

/// What [`tune`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tuning {
    /// The thresholds above are in effect.
    Applied,
    /// The environment tunes malloc itself; nothing was changed.
    LeftToEnvironment,
    /// glibc refused a setting, or this is not a glibc build.
    Unavailable,
}

/// Applies the thresholds above once, at start-up, unless the operator
/// tunes malloc through the environment (`operator_tuned`).
pub fn tune(operator_tuned: bool) -> Tuning {
    if operator_tuned {
        return Tuning::LeftToEnvironment;
    }
    apply()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn apply() -> Tuning {
    // SAFETY: mallopt only changes two integer parameters of glibc's
    // allocator, takes its own lock, and is valid at any time.
    let mmap = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) };
    // SAFETY: as above.
    let trim = unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) };
    if mmap == 1 && trim == 1 {
        Tuning::Applied
    } else {
        Tuning::Unavailable
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply() -> Tuning {
    Tuning::Unavailable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_accepts_both_thresholds() {
        assert_eq!(tune(false), Tuning::Applied);
    }

    #[test]
    fn an_operator_setting_is_left_alone() {
        assert_eq!(tune(true), Tuning::LeftToEnvironment);
    }
}
