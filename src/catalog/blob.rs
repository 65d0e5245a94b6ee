//! The blob store: original image files, content-addressed by SHA-256.
//!
//! A blob is written to a temporary file and renamed into place, so a reader
//! never sees half a file, and a replaced original gets a new address, so a
//! render that read the old one is never corrupted. Blobs are removed only
//! when the catalog says no asset uses them. This module never parses images.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob {0} not found")]
    NotFound(String),
    #[error("blob store I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Original files under `{data}/blobs/{aa}/{sha256}`.
#[derive(Debug)]
pub struct BlobStore {
    root: PathBuf,
    counter: AtomicU64,
}

impl BlobStore {
    /// Opens (and creates) the store under `root`.
    pub fn open(root: &Path) -> Result<BlobStore, BlobError> {
        fs::create_dir_all(root.join("tmp"))?;
        Ok(BlobStore {
            root: root.to_path_buf(),
            counter: AtomicU64::new(0),
        })
    }

    /// The hex SHA-256 of some bytes: their address.
    pub fn address(bytes: &[u8]) -> String {
        let digest = Sha256::digest(bytes);
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn path(&self, address: &str) -> Option<PathBuf> {
        let valid = address.len() == 64 && address.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.root.join(&address[..2]).join(address))
    }

    /// Stores bytes and returns their address; storing the same bytes twice is free.
    pub fn put(&self, bytes: &[u8]) -> Result<String, BlobError> {
        let address = Self::address(bytes);
        let path = self
            .path(&address)
            .ok_or_else(|| BlobError::NotFound(address.clone()))?;
        if path.exists() {
            return Ok(address);
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{address}.{}.{n}", std::process::id()));
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, &path)?;
        Ok(address)
    }

    /// Reads a blob whole.
    pub fn get(&self, address: &str) -> Result<Vec<u8>, BlobError> {
        let path = self
            .path(address)
            .ok_or_else(|| BlobError::NotFound(address.to_owned()))?;
        fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BlobError::NotFound(address.to_owned()),
            _ => BlobError::Io(e),
        })
    }

    /// Removes a blob no asset uses any more; a missing blob is not an error.
    pub fn remove(&self, address: &str) -> Result<(), BlobError> {
        if let Some(path) = self.path(address) {
            match fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_remove() {
        let dir = std::env::temp_dir().join(format!("rendition-blob-{}", std::process::id()));
        let store = BlobStore::open(&dir).unwrap();
        let a = store.put(b"hello").unwrap();
        assert_eq!(
            a,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(store.put(b"hello").unwrap(), a);
        assert_eq!(store.get(&a).unwrap(), b"hello");
        store.remove(&a).unwrap();
        assert!(matches!(store.get(&a), Err(BlobError::NotFound(_))));
        assert!(matches!(
            store.get("../../etc/passwd"),
            Err(BlobError::NotFound(_))
        ));
        let _ = fs::remove_dir_all(dir);
    }
}
