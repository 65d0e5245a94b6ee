//! Request locking and obfuscation (§1.10).
//!
//! A locked request ends in `&xxxx`, four hex digits of a 16-bit hash of the
//! encoded modifier string before it. An obfuscated request is the whole
//! modifier string, lock included, in standard base64. These are pure string
//! functions; whether a catalog demands them is decided by the caller.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Why a locked or obfuscated request was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    #[error("the request lock is missing")]
    Missing,
    #[error("the request lock does not match")]
    Mismatch,
    #[error("the obfuscated request is not valid base64")]
    NotBase64,
    #[error("the obfuscated request is not UTF-8 text")]
    NotText,
}

/// The documented 16-bit hash: `h = (h * 131 + byte) & 0xFFFF`.
pub fn lock_hash(modifiers: &str) -> u16 {
    modifiers
        .bytes()
        .fold(0u16, |h, b| h.wrapping_mul(131).wrapping_add(u16::from(b)))
}

/// Appends the lock to an (already encoded) modifier string.
pub fn lock(modifiers: &str) -> String {
    format!("{modifiers}&{:04x}", lock_hash(modifiers))
}

/// Checks and strips the lock; the hex digits may be in either case.
pub fn unlock(locked: &str) -> Result<&str, LockError> {
    let split = locked.len().checked_sub(5).ok_or(LockError::Missing)?;
    let (modifiers, suffix) = (locked.get(..split), locked.get(split..));
    let (Some(modifiers), Some(suffix)) = (modifiers, suffix) else {
        return Err(LockError::Missing);
    };
    let digits = suffix.strip_prefix('&').ok_or(LockError::Missing)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LockError::Missing);
    }
    let expected = u16::from_str_radix(digits, 16).map_err(|_| LockError::Missing)?;
    if expected == lock_hash(modifiers) {
        Ok(modifiers)
    } else {
        Err(LockError::Mismatch)
    }
}

/// Encodes a modifier string (lock first, then this).
pub fn obfuscate(modifiers: &str) -> String {
    STANDARD.encode(modifiers.as_bytes())
}

/// Decodes an obfuscated modifier string.
pub fn deobfuscate(encoded: &str) -> Result<String, LockError> {
    let bytes = STANDARD
        .decode(encoded.trim_end_matches('\n'))
        .map_err(|_| LockError::NotBase64)?;
    String::from_utf8(bytes).map_err(|_| LockError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_vectors() {
        assert_eq!(lock("wid=200"), "wid=200&4a1f");
        assert_eq!(
            lock("wid=400&hei=400&fmt=jpeg"),
            "wid=400&hei=400&fmt=jpeg&3cac"
        );
        assert_eq!(unlock("wid=200&4A1F"), Ok("wid=200"));
        assert_eq!(unlock("wid=201&4a1f"), Err(LockError::Mismatch));
        assert_eq!(unlock("wid"), Err(LockError::Missing));
        assert_eq!(unlock("wid=200&zzzz"), Err(LockError::Missing));
    }

    #[test]
    fn obfuscation_round_trips_and_matches_the_doc_example() {
        // The doc's example decodes without the leading `$` of its source.
        assert_eq!(
            deobfuscate("dHh0PW15IHRleHQgc3RyaW5nJiRpbWc9bXlJbWFnZQ=="),
            Ok("txt=my text string&$img=myImage".to_owned())
        );
        let locked = lock("$txt=my text string&$img=myImage");
        assert_eq!(deobfuscate(&obfuscate(&locked)).as_deref(), Ok(&*locked));
        assert_eq!(deobfuscate("%%%"), Err(LockError::NotBase64));
    }
}
