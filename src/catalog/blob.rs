//! The blob store: original image files, content-addressed by SHA-256.
//!
//! A blob is written to a temporary file and renamed into place, so a reader
//! never sees half a file, and a replaced original gets a new address, so a
//! render that read the old one is never corrupted. Blobs are removed only
//! when the catalog says no asset uses them, and with them the files kept
//! beside them (`{address}.{suffix}`: pyramid levels). This module never
//! parses images.

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
        if !path.exists() {
            self.write_atomically(&path, &address, bytes)?;
        }
        Ok(address)
    }

    /// Writes through a temporary file and a rename, so no reader sees half a file.
    fn write_atomically(&self, path: &Path, name: &str, bytes: &[u8]) -> Result<(), BlobError> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{name}.{}.{n}", std::process::id()));
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        Ok(())
    }

    /// Reads a blob whole.
    pub fn get(&self, address: &str) -> Result<Vec<u8>, BlobError> {
        let path = self
            .path(address)
            .ok_or_else(|| BlobError::NotFound(address.to_owned()))?;
        read(&path, address)
    }

    /// The addresses of every stored blob, sorted.
    pub fn addresses(&self) -> Result<Vec<String>, BlobError> {
        let mut addresses = Vec::new();
        for dir in fs::read_dir(&self.root)? {
            let dir = dir?;
            let name = dir.file_name().to_string_lossy().into_owned();
            if name.len() != 2 || !dir.file_type()?.is_dir() {
                continue;
            }
            for file in fs::read_dir(dir.path())? {
                let file = file?.file_name().to_string_lossy().into_owned();
                if self.path(&file).is_some() && file.starts_with(&name) {
                    addresses.push(file);
                }
            }
        }
        addresses.sort();
        Ok(addresses)
    }

    /// The path of a file kept with a blob (a pyramid level), `{address}.{suffix}`.
    fn companion_path(&self, address: &str, suffix: &str) -> Option<PathBuf> {
        let valid = !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_alphanumeric());
        let blob = self.path(address)?;
        valid.then(|| blob.with_file_name(format!("{address}.{suffix}")))
    }

    /// Keeps a file with a blob; it lives as long as the blob.
    pub fn put_companion(
        &self,
        address: &str,
        suffix: &str,
        bytes: &[u8],
    ) -> Result<(), BlobError> {
        let path = self
            .companion_path(address, suffix)
            .ok_or_else(|| BlobError::NotFound(format!("{address}.{suffix}")))?;
        self.write_atomically(&path, &format!("{address}.{suffix}"), bytes)
    }

    /// Reads a file kept with a blob.
    pub fn companion(&self, address: &str, suffix: &str) -> Result<Vec<u8>, BlobError> {
        let name = format!("{address}.{suffix}");
        let path = self
            .companion_path(address, suffix)
            .ok_or_else(|| BlobError::NotFound(name.clone()))?;
        read(&path, &name)
    }

    /// Whether a file is kept with a blob under `suffix`.
    pub fn has_companion(&self, address: &str, suffix: &str) -> bool {
        self.companion_path(address, suffix)
            .is_some_and(|path| path.is_file())
    }

    /// Removes a blob no asset uses any more, and the files kept with it; a
    /// missing blob is not an error.
    pub fn remove(&self, address: &str) -> Result<(), BlobError> {
        let Some(path) = self.path(address) else {
            return Ok(());
        };
        remove_if_present(&path)?;
        let Some(dir) = path.parent() else {
            return Ok(());
        };
        let prefix = format!("{address}.");
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                remove_if_present(&entry.path())?;
            }
        }
        Ok(())
    }
}

fn read(path: &Path, name: &str) -> Result<Vec<u8>, BlobError> {
    fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => BlobError::NotFound(name.to_owned()),
        _ => BlobError::Io(e),
    })
}

fn remove_if_present(path: &Path) -> Result<(), BlobError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
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
        store.put_companion(&a, "l4", b"level").unwrap();
        assert!(store.has_companion(&a, "l4"));
        assert_eq!(store.companion(&a, "l4").unwrap(), b"level");
        assert!(matches!(
            store.companion(&a, "l2"),
            Err(BlobError::NotFound(_))
        ));
        assert!(store.put_companion(&a, "../x", b"no").is_err());
        let b = store.put(b"other").unwrap();
        store.put_companion(&b, "l4", b"kept").unwrap();
        store.remove(&a).unwrap();
        assert!(matches!(store.get(&a), Err(BlobError::NotFound(_))));
        assert!(!store.has_companion(&a, "l4"));
        // Another blob's companions stay.
        assert_eq!(store.companion(&b, "l4").unwrap(), b"kept");
        assert_eq!(store.addresses().unwrap(), vec![b.clone()]);
        assert!(matches!(
            store.get("../../etc/passwd"),
            Err(BlobError::NotFound(_))
        ));
        let _ = fs::remove_dir_all(dir);
    }
}
