//! IPS handles (§7.5): opaque strings that name companies, assets and folders.
//!
//! We write `c|{id}`, `a|{id}|{typeCode}|{companyId}` and `Company/path/`, and
//! read leniently: a missing `c|`/`a|`/`f|` prefix is tolerated, and short
//! asset forms (`a|210`, `24265|1|17061`) are accepted because the first
//! number is the asset id. Parsing never panics; it returns `None`.

use std::fmt;

/// `c|{id}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompanyHandle(pub i64);

impl CompanyHandle {
    pub fn parse(s: &str) -> Option<CompanyHandle> {
        let s = s.trim();
        let id = s.strip_prefix("c|").unwrap_or(s);
        id.parse::<i64>().ok().filter(|&v| v > 0).map(CompanyHandle)
    }
}

impl fmt::Display for CompanyHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c|{}", self.0)
    }
}

/// `a|{id}|{typeCode}|{companyId}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetHandle {
    pub id: i64,
    pub type_code: u32,
    pub company_id: i64,
}

impl AssetHandle {
    /// Reads the asset id; the other fields are informative only.
    pub fn parse_id(s: &str) -> Option<i64> {
        let s = s.trim();
        let body = s.strip_prefix("a|").unwrap_or(s);
        let first = body.split('|').next()?;
        first.parse::<i64>().ok().filter(|&v| v > 0)
    }
}

impl fmt::Display for AssetHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a|{}|{}|{}", self.id, self.type_code, self.company_id)
    }
}

/// A folder handle: the company-rooted path with a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderHandle {
    /// `Company/path/`.
    pub path: String,
}

impl FolderHandle {
    /// Accepts `Company/path/`, `Company/path` and `f|Company/path/`.
    ///
    /// Empty segments, `.` and `..` are refused.
    pub fn parse(s: &str) -> Option<FolderHandle> {
        let s = s.trim();
        let s = s.strip_prefix("f|").unwrap_or(s);
        let trimmed = s.trim_end_matches('/');
        if trimmed.is_empty() {
            return None;
        }
        let valid = trimmed
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != ".." && !seg.contains('\\'));
        valid.then(|| FolderHandle {
            path: format!("{trimmed}/"),
        })
    }

    /// The first path element: the company's root id.
    pub fn company_name(&self) -> &str {
        self.path.split('/').next().unwrap_or("")
    }

    /// The parent folder, or `None` for a company root.
    pub fn parent(&self) -> Option<FolderHandle> {
        let trimmed = self.path.trim_end_matches('/');
        let (parent, _) = trimmed.rsplit_once('/')?;
        Some(FolderHandle {
            path: format!("{parent}/"),
        })
    }
}

impl fmt::Display for FolderHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_handles() {
        assert_eq!(CompanyHandle::parse("c|6"), Some(CompanyHandle(6)));
        assert_eq!(CompanyHandle::parse("47"), Some(CompanyHandle(47)));
        assert_eq!(CompanyHandle::parse("c|x"), None);
        assert_eq!(CompanyHandle::parse("c|0"), None);
        assert_eq!(CompanyHandle(21).to_string(), "c|21");
    }

    #[test]
    fn asset_handles_of_every_documented_shape() {
        assert_eq!(AssetHandle::parse_id("a|943|1|580"), Some(943));
        assert_eq!(AssetHandle::parse_id("a|210"), Some(210));
        assert_eq!(AssetHandle::parse_id("24265|1|17061"), Some(24265));
        assert_eq!(AssetHandle::parse_id("a|"), None);
        assert_eq!(AssetHandle::parse_id("nope"), None);
        let h = AssetHandle {
            id: 944,
            type_code: 10,
            company_id: 2,
        };
        assert_eq!(h.to_string(), "a|944|10|2");
    }

    #[test]
    fn folder_handles() {
        let f = FolderHandle::parse("f|Example.com/sample/A01/").unwrap();
        assert_eq!(f.path, "Example.com/sample/A01/");
        assert_eq!(f.company_name(), "Example.com");
        assert_eq!(f.parent().unwrap().path, "Example.com/sample/");
        assert_eq!(FolderHandle::parse("ApiTestCo").unwrap().path, "ApiTestCo/");
        assert!(
            FolderHandle::parse("ApiTestCo/")
                .unwrap()
                .parent()
                .is_none()
        );
        assert!(FolderHandle::parse("a//b/").is_none());
        assert!(FolderHandle::parse("a/../b/").is_none());
        assert!(FolderHandle::parse("").is_none());
    }
}
