//! The application: the opened catalog, blob store and IPS service, and the
//! work that joins them without belonging to any one of them.
//!
//! It owns first-start setup (the admin user from the environment values it is
//! given, the Demo company), storing an uploaded original (probe, blob,
//! pyramid levels, catalog row), and resolving an IS object to the sources of
//! a render (the owner's file, its levels and the Modifier/PostModifier
//! strings). It never speaks HTTP or SOAP and never renders.

use std::path::Path;
use std::sync::Arc;

use crate::catalog::{
    Asset, AssetType, BlobError, BlobStore, Catalog, CatalogError, Company, Folder, NewAsset,
    NewImage, Role, SqliteCatalog, StoredImage,
};
use crate::config::Limits;
use crate::ips::{self, Ips};
use crate::job::{JobError, Record, RecordKind, Resolver};
use crate::render::decode::Original;
use crate::render::pyramid::{self, LevelSource};
use crate::render::{self, RenderError};

/// Why the data directory could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the data directory {0}: {1}")]
    Dir(String, std::io::Error),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Blob(#[from] BlobError),
}

/// Why an uploaded original was refused or not stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Not an image, or a truncated one.
    #[error("not a readable image: {0}")]
    NotAnImage(String),
    /// Over the source-pixel limit.
    #[error("{0}")]
    TooLarge(String),
    /// The name is not usable as an IS object id.
    #[error("'{0}' is not a valid image name")]
    BadName(String),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Blob(#[from] BlobError),
}

/// Why an IS object could not be resolved to a render.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("Image not found: {0}")]
    NotFound(String),
    /// The record exists but this server cannot render its kind yet.
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Blob(#[from] BlobError),
}

/// What a render needs from the catalog. The file itself is read by
/// [`App::load`], only when a render needs it (a cache hit never does).
#[derive(Clone, Debug)]
pub struct Resolved {
    /// `Company/name`, the value of `$object$`.
    pub object: String,
    /// The blob of the owner image's file; none for a template.
    pub blob: Option<String>,
    pub kind: RecordKind,
    /// The asset ids it is made from: itself and its owner.
    pub ids: Vec<i64>,
    /// The newest change of the record or its owner, epoch milliseconds.
    pub modified_ms: i64,
    /// The source image's size (the owner's, for derived views).
    pub width: u32,
    pub height: u32,
    /// `catalog::Modifier` of the record.
    pub modifier: String,
    /// `catalog::PostModifier` of the record.
    pub post_modifier: String,
    /// The record's version, which changes with anything that affects rendering.
    pub version: i64,
}

/// The opened data directory and the services on it.
pub struct App {
    pub limits: Limits,
    pub catalog: Arc<dyn Catalog>,
    pub blobs: Arc<BlobStore>,
    pub ips: Ips,
    /// Make pyramid levels of uploaded JPEGs and render from them (setting
    /// `pyramid`, on by default).
    pub pyramid: bool,
    /// Where renders read the levels from: the blob store.
    levels: pyramid::Levels,
    /// Held while levels are made: one original at a time, so parallel
    /// uploads cannot multiply the decode work and memory.
    levels_gate: std::sync::Mutex<()>,
}

/// Pyramid levels kept beside their blobs, as `{address}.l{eighths}`.
#[derive(Debug)]
struct BlobLevels(Arc<BlobStore>);

impl LevelSource for BlobLevels {
    fn level(&self, key: &str, eighths: u8) -> Option<Vec<u8>> {
        match self.0.companion(key, &level_suffix(eighths)) {
            Ok(bytes) => Some(bytes),
            Err(BlobError::NotFound(_)) => None,
            Err(e) => {
                tracing::warn!("cannot read pyramid level {eighths}/8 of blob {key}: {e}");
                None
            }
        }
    }
}

fn level_suffix(eighths: u8) -> String {
    format!("l{eighths}")
}

/// The images of the Demo company: fixture file and asset name.
const DEMO_IMAGES: [(&str, &str); 5] = [
    ("photo.jpg", "photo"),
    ("logo.png", "logo"),
    ("gray.png", "gray"),
    ("tall.jpg", "tall"),
    ("wide.png", "wide"),
];

/// The Demo company's derived assets: name, type, owner, Modifier.
const DEMO_VIEWS: [(&str, AssetType, &str, &str); 2] = [
    (
        "photo-crop",
        AssetType::AdjustedView,
        "photo",
        "crop=40,20,200,150",
    ),
    (
        "photo-sale",
        AssetType::LayerView,
        "photo",
        "layer=1&src=logo&size=90,90&posN=0.35,-0.3\
         &layer=2&text={\\rtf1\\ansi\\fs56\\b{\\colortbl;\\red255\\green255\\blue255;}\\cf1+SALE+\\u8722?30%25}\
         &posN=0,0.28&effect=-1&$shadow$",
    ),
];

impl App {
    /// Opens (creating) `data_dir/catalog.sqlite` and `data_dir/blobs/`.
    pub fn open(data_dir: &Path, limits: Limits) -> Result<App, OpenError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| OpenError::Dir(data_dir.display().to_string(), e))?;
        let catalog: Arc<dyn Catalog> =
            Arc::new(SqliteCatalog::open(&data_dir.join("catalog.sqlite"))?);
        let blobs = Arc::new(BlobStore::open(&data_dir.join("blobs"))?);
        let ips = Ips::new(Arc::clone(&catalog), Arc::clone(&blobs));
        let levels: pyramid::Levels = Arc::new(BlobLevels(Arc::clone(&blobs)));
        Ok(App {
            limits,
            catalog,
            blobs,
            ips,
            pyramid: true,
            levels,
            levels_gate: std::sync::Mutex::new(()),
        })
    }

    /// Creates an `IpsAdmin` with this e-mail and password unless the user exists.
    /// Returns whether a user was created.
    pub fn ensure_admin(&self, email: &str, password: &str) -> Result<bool, CatalogError> {
        if self.catalog.user_by_email(email)?.is_some() {
            return Ok(false);
        }
        let hash = ips::hash_password(password).map_err(CatalogError::Invalid)?;
        self.catalog
            .add_user(email, "Rendition", "Admin", Role::IpsAdmin, &hash, &[])?;
        Ok(true)
    }

    /// Seeds the Demo company from the fixtures when the catalog is empty.
    /// Returns the names of the assets created (none when it was not empty).
    pub fn seed_demo(&self, fixtures_dir: &Path) -> Result<Vec<String>, IngestError> {
        if !self.catalog.is_empty()? {
            return Ok(Vec::new());
        }
        let company = self.catalog.add_company("Demo")?;
        let root = self
            .catalog
            .folder(company.id, &company.root_path)?
            .ok_or_else(|| CatalogError::NotFound("the Demo root folder".to_owned()))?;
        let mut names = Vec::new();
        for (file, name) in DEMO_IMAGES {
            let bytes = std::fs::read(fixtures_dir.join(file)).map_err(|e| {
                IngestError::NotAnImage(format!("{}: {e}", fixtures_dir.join(file).display()))
            })?;
            self.store_image(&company, &root, name, &bytes, file, "demo")?;
            names.push(name.to_owned());
        }
        for (name, asset_type, owner, modifier) in DEMO_VIEWS {
            let owner = self
                .catalog
                .asset_by_name(company.id, owner)?
                .ok_or_else(|| CatalogError::NotFound(format!("demo owner {owner}")))?;
            self.catalog.create_asset(&NewAsset {
                company_id: company.id,
                folder_id: root.id,
                name,
                asset_type,
                owner_id: Some(owner.id),
                url_modifier: modifier,
                url_post_modifier: "",
                user: "demo",
            })?;
            names.push(name.to_owned());
        }
        Ok(names)
    }

    /// Probes, stores and records an original; replaces an image of the same name.
    pub fn store_image(
        &self,
        company: &Company,
        folder: &Folder,
        name: &str,
        bytes: &[u8],
        file_name: &str,
        user: &str,
    ) -> Result<StoredImage, IngestError> {
        if name.is_empty() || name.contains([',', '\\']) || name.starts_with('.') {
            return Err(IngestError::BadName(name.to_owned()));
        }
        let (width, height) =
            render::validate_source(bytes, &self.limits).map_err(|e| match e {
                RenderError::SourceTooLarge { .. } => IngestError::TooLarge(e.to_string()),
                other => IngestError::NotAnImage(other.to_string()),
            })?;
        let blob = self.blobs.put(bytes)?;
        let stored = self.catalog.put_image(&NewImage {
            company_id: company.id,
            folder_id: folder.id,
            name,
            blob: &blob,
            file_name,
            file_size: bytes.len() as u64,
            width,
            height,
            user,
        })?;
        // Levels only once the catalog holds the image: a refused upload
        // costs no decodes, and a delete of another asset with the same
        // bytes cannot remove the blob while its levels are being made.
        if self.pyramid {
            self.ensure_levels(&blob, bytes);
        }
        if let Some(old) = &stored.orphaned_blob {
            if let Err(e) = self.blobs.remove(old) {
                tracing::warn!("could not remove replaced blob {old}: {e}");
            }
        }
        Ok(stored)
    }

    /// Makes and keeps the pyramid levels of a stored original, unless it
    /// has current ones from this build's JPEG decoder; returns how many it
    /// made (none for originals that are not JPEGs). Levels only save work:
    /// an original whose levels cannot be made or kept is still stored, and
    /// renders decode it.
    pub fn ensure_levels(&self, blob: &str, bytes: &[u8]) -> usize {
        let _one_at_a_time = self.levels_gate.lock().unwrap_or_else(|p| p.into_inner());
        let kept = |eighths: u8| {
            self.blobs
                .companion(blob, &level_suffix(eighths))
                .is_ok_and(|level| pyramid::made_by_this_build(&level))
        };
        if pyramid::EIGHTHS.iter().all(|&e| kept(e)) {
            return 0;
        }
        let levels = match pyramid::make_levels(bytes, &self.limits) {
            Ok(levels) => levels,
            Err(e) => {
                tracing::warn!("no pyramid levels for blob {blob}: {e}");
                return 0;
            }
        };
        let mut made = 0;
        for (eighths, level) in levels {
            match self
                .blobs
                .put_companion(blob, &level_suffix(eighths), &level)
            {
                Ok(()) => made += 1,
                Err(e) => {
                    tracing::warn!("cannot keep pyramid level {eighths}/8 of blob {blob}: {e}")
                }
            }
        }
        made
    }

    /// Resolves `/is/image/{company}/{name}` to the sources of a render.
    ///
    /// A derived asset renders its owner's file with its own Modifier and
    /// PostModifier; if the owner is gone the asset is gone too. A template
    /// has no file: its body is its Modifier.
    pub fn resolve(&self, company: &str, name: &str) -> Result<Resolved, ResolveError> {
        let object = format!("{company}/{name}");
        let not_found = || ResolveError::NotFound(object.clone());
        let company = self
            .catalog
            .company_by_name(company)?
            .ok_or_else(not_found)?;
        // [GAP] §1.13: `id:rendition` is its own id when such a record exists,
        // else a rendition of `id` (the smart-crop names seen in production).
        let asset = match self.catalog.asset_by_name(company.id, name)? {
            Some(asset) => asset,
            None => match name.rsplit_once(':') {
                Some((base, _)) if !base.is_empty() => self
                    .catalog
                    .asset_by_name(company.id, base)?
                    .ok_or_else(not_found)?,
                _ => return Err(not_found()),
            },
        };
        self.resolve_asset(&company, asset).map_err(|e| match e {
            ResolveError::NotFound(_) => not_found(),
            other => other,
        })
    }

    fn resolve_asset(&self, company: &Company, asset: Asset) -> Result<Resolved, ResolveError> {
        let object = format!("{}/{}", company.name, asset.name);
        let not_found = || ResolveError::NotFound(object.clone());
        let (kind, file_owner) = match asset.asset_type {
            AssetType::Image => (RecordKind::Image, Some(asset.clone())),
            AssetType::AdjustedView | AssetType::LayerView => {
                let owner_id = asset.owner_id.ok_or_else(not_found)?;
                let owner = self.catalog.asset(owner_id)?.ok_or_else(not_found)?;
                (RecordKind::Derived, Some(owner))
            }
            AssetType::Template | AssetType::Watermark => (RecordKind::Template, None),
        };
        let mut version = asset.version;
        let mut modified_ms = asset.modified_ms;
        let mut ids = vec![asset.id];
        let (blob, width, height) = match &file_owner {
            Some(owner) => {
                version = version.max(owner.version);
                modified_ms = modified_ms.max(owner.modified_ms);
                if owner.id != asset.id {
                    ids.push(owner.id);
                }
                let blob = owner.blob.clone().ok_or_else(not_found)?;
                (Some(blob), owner.width, owner.height)
            }
            None => (None, 0, 0),
        };
        Ok(Resolved {
            object,
            blob,
            kind,
            ids,
            modified_ms,
            width,
            height,
            modifier: asset.url_modifier,
            post_modifier: asset.url_post_modifier,
            version,
        })
    }

    /// The `(company, name)` of the derived views among these asset ids, for
    /// rendering their default view ahead of the first request.
    pub fn derived_views(&self, ids: &[i64]) -> Vec<(String, String)> {
        ids.iter()
            .filter_map(|id| self.catalog.asset(*id).ok().flatten())
            .filter(|a| a.asset_type.is_derived())
            .filter_map(|a| {
                let company = self.catalog.company(a.company_id).ok().flatten()?;
                Some((company.name, a.name))
            })
            .collect()
    }

    /// Reads a resolved record's file; `None` for templates.
    pub fn load(&self, resolved: &Resolved) -> Result<Option<Original>, ResolveError> {
        let Some(blob) = &resolved.blob else {
            return Ok(None);
        };
        match self.blobs.get(blob) {
            Ok(bytes) => {
                let original = Original::new(Arc::new(bytes), Some(blob));
                Ok(Some(if self.pyramid {
                    original.with_levels(Arc::clone(&self.levels))
                } else {
                    original
                }))
            }
            Err(BlobError::NotFound(_)) => Err(ResolveError::NotFound(resolved.object.clone())),
            Err(other) => Err(ResolveError::Blob(other)),
        }
    }

    /// A resolver for `src=`, `mask=` and `template=` ids of a request whose
    /// path object is in `company` (§1.7: the id in that company first, then
    /// `Company/name`).
    pub fn resolver(&self, company: &str) -> AppResolver<'_> {
        AppResolver {
            app: self,
            company: company.to_owned(),
            seen: std::sync::Mutex::new(Vec::new()),
        }
    }
}

/// Finds records for a render, in the main company first, and remembers
/// which it found so the render cache knows what the reply depends on.
pub struct AppResolver<'a> {
    app: &'a App,
    company: String,
    seen: std::sync::Mutex<Vec<(Vec<i64>, i64)>>,
}

impl AppResolver<'_> {
    /// The asset ids of every record found so far, and the newest change.
    pub fn dependencies(&self) -> (Vec<i64>, i64) {
        let seen = self.seen.lock().map(|s| s.clone()).unwrap_or_default();
        let newest = seen.iter().map(|(_, m)| *m).max().unwrap_or(0);
        (seen.into_iter().flat_map(|(ids, _)| ids).collect(), newest)
    }

    fn record(&self, company: &str, name: &str) -> Result<Option<Record>, JobError> {
        let storage = |e: CatalogError| JobError::Refused(format!("catalog lookup failed: {e}"));
        let Some(company) = self.app.catalog.company_by_name(company).map_err(storage)? else {
            return Ok(None);
        };
        let Some(asset) = self
            .app
            .catalog
            .asset_by_name(company.id, name)
            .map_err(storage)?
        else {
            return Ok(None);
        };
        let resolved = match self.app.resolve_asset(&company, asset) {
            Ok(r) => r,
            Err(ResolveError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(JobError::Refused(e.to_string())),
        };
        let bytes = match self.app.load(&resolved) {
            Ok(b) => b,
            Err(ResolveError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(JobError::Refused(e.to_string())),
        };
        let record = Record {
            object: resolved.object,
            kind: resolved.kind,
            bytes,
            modifier: resolved.modifier,
            post_modifier: resolved.post_modifier,
            anchor: None,
            ids: resolved.ids,
            modified_ms: resolved.modified_ms,
        };
        if let Ok(mut seen) = self.seen.lock() {
            seen.push((record.ids.clone(), record.modified_ms));
        }
        Ok(Some(record))
    }
}

impl Resolver for AppResolver<'_> {
    fn find(&self, id: &str) -> Result<Option<Record>, JobError> {
        // A leading `/` searches the default catalog, which is the same here.
        let id = id.strip_prefix('/').unwrap_or(id);
        if let Some(record) = self.record(&self.company, id)? {
            return Ok(Some(record));
        }
        match id.split_once('/') {
            Some((company, name)) => self.record(company, name),
            None => Ok(None),
        }
    }
}
