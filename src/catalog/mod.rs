//! The catalog: companies, folders, users and assets (owner images, derived
//! views, templates), with the versions that key the render cache.
//!
//! `Catalog` is the storage interface; `SqliteCatalog` is the embedded
//! implementation and a PostgreSQL one can implement the same trait, which
//! therefore mentions no SQLite type. Originals live in the content-addressed
//! `BlobStore`. This module never knows about HTTP, SOAP or pixels beyond the
//! width and height it is told.

pub mod blob;
pub mod handle;
pub mod sqlite;

use std::fmt;

pub use blob::{BlobError, BlobStore};
pub use handle::{AssetHandle, CompanyHandle, FolderHandle};
pub use sqlite::SqliteCatalog;

/// Why a catalog operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The name is taken (asset names are unique within a company).
    #[error("{kind} '{name}' is already in use")]
    Duplicate { kind: &'static str, name: String },
    /// A record the operation needs does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The operation does not apply to this record.
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error("catalog storage failed: {0}")]
    Storage(String),
}

pub type Result<T> = std::result::Result<T, CatalogError>;

/// IPS user roles (§7.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    IpsAdmin,
    IpsCompanyAdmin,
    IpsUser,
    WebServiceUser,
    TrialSiteAdmin,
    TrialSiteUser,
    ImagePortalAdmin,
    ImagePortalUser,
    ImagePortalContrib,
    ImagePortalContribUser,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::IpsAdmin,
        Role::IpsCompanyAdmin,
        Role::IpsUser,
        Role::WebServiceUser,
        Role::TrialSiteAdmin,
        Role::TrialSiteUser,
        Role::ImagePortalAdmin,
        Role::ImagePortalUser,
        Role::ImagePortalContrib,
        Role::ImagePortalContribUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::IpsAdmin => "IpsAdmin",
            Role::IpsCompanyAdmin => "IpsCompanyAdmin",
            Role::IpsUser => "IpsUser",
            Role::WebServiceUser => "WebServiceUser",
            Role::TrialSiteAdmin => "TrialSiteAdmin",
            Role::TrialSiteUser => "TrialSiteUser",
            Role::ImagePortalAdmin => "ImagePortalAdmin",
            Role::ImagePortalUser => "ImagePortalUser",
            Role::ImagePortalContrib => "ImagePortalContrib",
            Role::ImagePortalContribUser => "ImagePortalContribUser",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Roles that see every company.
    pub fn is_system_admin(self) -> bool {
        self == Role::IpsAdmin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Asset types this server stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssetType {
    /// An owner original.
    Image,
    /// A derived single-image view.
    AdjustedView,
    /// A derived multi-layer view.
    LayerView,
    /// A template whose body lives in its Modifier.
    Template,
    /// A watermark template.
    Watermark,
}

impl AssetType {
    pub const ALL: [AssetType; 5] = [
        AssetType::Image,
        AssetType::AdjustedView,
        AssetType::LayerView,
        AssetType::Template,
        AssetType::Watermark,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssetType::Image => "Image",
            AssetType::AdjustedView => "AdjustedView",
            AssetType::LayerView => "LayerView",
            AssetType::Template => "Template",
            AssetType::Watermark => "Watermark",
        }
    }

    pub fn parse(s: &str) -> Option<AssetType> {
        AssetType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The type code in the third field of an asset handle (`a|id|code|company`).
    /// Adobe's examples show 1 for images, 2 for templates and 10 for a derived view.
    pub fn code(self) -> u32 {
        match self {
            AssetType::Image => 1,
            AssetType::Template => 2,
            AssetType::Watermark => 3,
            AssetType::AdjustedView => 10,
            AssetType::LayerView => 11,
        }
    }

    /// Whether the asset is derived from an owner image.
    pub fn is_derived(self) -> bool {
        matches!(self, AssetType::AdjustedView | AssetType::LayerView)
    }
}

impl fmt::Display for AssetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A company: the IS root id and the root of its folders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Company {
    pub id: i64,
    /// The company name, which is also its IS root id.
    pub name: String,
    /// `Name/`.
    pub root_path: String,
    pub created_ms: i64,
}

impl Company {
    pub fn handle(&self) -> CompanyHandle {
        CompanyHandle(self.id)
    }
}

/// A folder, by its company-rooted path with a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folder {
    pub id: i64,
    pub company_id: i64,
    /// `Company/path/`.
    pub path: String,
    pub created_ms: i64,
}

/// An IPS user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    /// PHC string of the argon2 hash.
    pub password_hash: String,
    /// Companies the user belongs to.
    pub company_ids: Vec<i64>,
}

impl User {
    /// Whether the user may act on a company.
    pub fn can_access(&self, company_id: i64) -> bool {
        self.role.is_system_admin() || self.company_ids.contains(&company_id)
    }
}

/// A stored asset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    pub id: i64,
    pub company_id: i64,
    pub folder_id: i64,
    /// The folder's path, `Company/path/`.
    pub folder_path: String,
    pub name: String,
    pub asset_type: AssetType,
    /// The owner image of a derived asset.
    pub owner_id: Option<i64>,
    pub url_modifier: String,
    pub url_post_modifier: String,
    pub width: u32,
    pub height: u32,
    /// The content hash of an image's original in the blob store.
    pub blob: Option<String>,
    /// The uploaded file name.
    pub file_name: Option<String>,
    pub file_size: u64,
    /// Changes whenever anything that affects rendering changes.
    pub version: i64,
    pub created_ms: i64,
    pub created_by: String,
    pub modified_ms: i64,
    pub modified_by: String,
}

impl Asset {
    pub fn handle(&self) -> AssetHandle {
        AssetHandle {
            id: self.id,
            type_code: self.asset_type.code(),
            company_id: self.company_id,
        }
    }
}

/// A new owner image to store.
#[derive(Clone, Debug)]
pub struct NewImage<'a> {
    pub company_id: i64,
    pub folder_id: i64,
    pub name: &'a str,
    pub blob: &'a str,
    pub file_name: &'a str,
    pub file_size: u64,
    pub width: u32,
    pub height: u32,
    pub user: &'a str,
}

/// A new asset that is not an image: derived views and templates.
#[derive(Clone, Debug)]
pub struct NewAsset<'a> {
    pub company_id: i64,
    pub folder_id: i64,
    pub name: &'a str,
    pub asset_type: AssetType,
    pub owner_id: Option<i64>,
    pub url_modifier: &'a str,
    pub url_post_modifier: &'a str,
    pub user: &'a str,
}

/// What storing an image did.
#[derive(Clone, Debug)]
pub struct StoredImage {
    pub asset: Asset,
    /// `false` when an existing image was replaced.
    pub created: bool,
    /// The blob the replaced image used, if no asset uses it any more.
    pub orphaned_blob: Option<String>,
    /// Derived assets whose versions were bumped.
    pub touched: Vec<i64>,
}

/// What deleting an asset removed.
#[derive(Clone, Debug, Default)]
pub struct Deleted {
    /// Every deleted asset id, the cascade included.
    pub ids: Vec<i64>,
    /// Blobs no asset uses any more.
    pub orphaned_blobs: Vec<String>,
}

/// A search over a company's assets (`searchAssets`).
#[derive(Clone, Debug, Default)]
pub struct AssetQuery {
    pub company_id: i64,
    /// `Company/path/` to search in; `None` for the whole company.
    pub folder: Option<String>,
    pub include_subfolders: bool,
    /// Empty means every type.
    pub types: Vec<AssetType>,
    pub exclude_types: Vec<AssetType>,
    /// Exact names to match; empty means any name.
    pub names: Vec<String>,
    /// A condition on the name (`searchAssets` system field `Name`).
    pub name_match: Option<NameMatch>,
    /// Only assets derived from this owner.
    pub owner_id: Option<i64>,
    /// Page size, at most 1000.
    pub limit: u32,
    /// Zero-based offset.
    pub offset: u32,
}

/// How `AssetQuery::name_match` compares names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameMatch {
    Equals(String),
    NotEquals(String),
    Contains(String),
    NotContains(String),
    StartsWith(String),
    EndsWith(String),
}

/// The storage interface of the catalog.
///
/// Every method is synchronous and short; callers on the async runtime run
/// them on the blocking pool.
pub trait Catalog: Send + Sync {
    fn is_empty(&self) -> Result<bool>;

    fn add_company(&self, name: &str) -> Result<Company>;
    fn company(&self, id: i64) -> Result<Option<Company>>;
    fn company_by_name(&self, name: &str) -> Result<Option<Company>>;
    fn companies(&self) -> Result<Vec<Company>>;

    /// Creates a folder; its parent must exist.
    fn create_folder(&self, company_id: i64, path: &str) -> Result<Folder>;
    fn folder(&self, company_id: i64, path: &str) -> Result<Option<Folder>>;
    /// Folders of a company, optionally only those under a path.
    fn folders(&self, company_id: i64, under: Option<&str>) -> Result<Vec<Folder>>;

    fn add_user(
        &self,
        email: &str,
        first_name: &str,
        last_name: &str,
        role: Role,
        password_hash: &str,
        company_ids: &[i64],
    ) -> Result<User>;
    fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    /// Makes a user a member of a company (no-op when already one).
    fn add_membership(&self, user_id: i64, company_id: i64) -> Result<()>;

    fn asset(&self, id: i64) -> Result<Option<Asset>>;
    fn asset_by_name(&self, company_id: i64, name: &str) -> Result<Option<Asset>>;
    /// Assets matching a query, and the total before paging.
    fn search_assets(&self, query: &AssetQuery) -> Result<(u64, Vec<Asset>)>;

    /// Stores an owner image, replacing one of the same name; a replacement
    /// bumps the image's version and every derived asset's.
    fn put_image(&self, image: &NewImage<'_>) -> Result<StoredImage>;
    /// Creates a derived asset or template.
    fn create_asset(&self, asset: &NewAsset<'_>) -> Result<Asset>;
    /// Sets the modifiers; `None` leaves a string unchanged. Bumps the version.
    fn set_url_modifier(
        &self,
        id: i64,
        url_modifier: Option<&str>,
        url_post_modifier: Option<&str>,
        user: &str,
    ) -> Result<Asset>;
    /// Deletes an asset and, in the same transaction, every asset derived from it.
    fn delete_asset(&self, id: i64) -> Result<Deleted>;
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Formats epoch milliseconds as an `xsd:dateTime` in UTC, e.g.
/// `2011-03-01T23:04:40.177Z`.
pub fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_formats_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_299_020_680_177), "2011-03-01T23:04:40.177Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        for t in AssetType::ALL {
            assert_eq!(AssetType::parse(t.as_str()), Some(t));
        }
    }
}
