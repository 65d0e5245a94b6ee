//! Process-wide tuning of the C allocator (glibc malloc), which both JPEG
//! decoders allocate through.
//!
//! A progressive JPEG keeps a coefficient buffer for the whole image (about
//! 25 MB for a 2560×1600 photo) that is freed after every decode. glibc
//! starts by mapping such blocks on their own and unmapping them on free, so
//! the next decode faults every page in again, zeroed; it raises its
//! thresholds only after it has freed a large enough block, so a fresh
//! server's speed depends on what it happened to render first. Here both
//! thresholds are fixed at 32 MiB from the start: blocks up to 32 MiB are
//! reused, larger ones (a 5120×2880 progressive file's 88 MB) are returned
//! at once, and free memory above 32 MiB at an arena's top is trimmed.
//!
//! `benches/load/malloc_ab.sh` measures it on one binary, fresh servers,
//! concurrency 2, the turbojpeg build: 91.2 and 91.8 req/s with glibc's
//! defaults against 97.6 and 99.5 tuned on the 12 photos; the same photos
//! after a run of 5120×2880 files, once glibc has raised its thresholds
//! itself, 99.8 and 101.5 against 97.5 and 102.3; peak RSS 269 MB against
//! 316 MB. So the gain is a fresh server as fast as a warmed-up one, for
//! about 50 MB more memory held.
//!
//! This module must never change behaviour an operator asked for: when the
//! environment already tunes malloc (`config::environment_tunes_malloc`), it
//! does nothing. It must never read the environment itself.

/// Allocations of at least this many bytes are mapped on their own; glibc
/// caps the setting at 32 MiB on 64-bit machines.
pub const MMAP_THRESHOLD_BYTES: i32 = 32 << 20;

/// Free memory at the top of an arena beyond this is returned to the kernel.
pub const TRIM_THRESHOLD_BYTES: i32 = 32 << 20;

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
