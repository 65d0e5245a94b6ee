//! The embedded SQLite catalog.
//!
//! One connection behind a mutex: SQLite has a single writer anyway, and every
//! call is a short statement or transaction. Migrations are the files under
//! `migrations/`, applied in order and tracked in `PRAGMA user_version`. Every
//! change that affects rendering takes the next value of the catalog-wide
//! version counter inside the same transaction. Nothing here knows HTTP or SOAP.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params, params_from_iter};

use super::*;

/// The migrations, in order; `PRAGMA user_version` counts the applied ones.
const MIGRATIONS: &[&str] = &[include_str!("../../migrations/0001_catalog.sql")];

const ASSET_COLUMNS: &str = "a.id, a.company_id, a.folder_id, f.path, a.name, a.asset_type, \
     a.owner_id, a.url_modifier, a.url_post_modifier, a.width, a.height, a.blob, a.file_name, \
     a.file_size, a.version, a.created_ms, a.created_by, a.modified_ms, a.modified_by";

/// A catalog in one SQLite file (or in memory, for tests).
pub struct SqliteCatalog {
    conn: Mutex<Connection>,
}

impl From<rusqlite::Error> for CatalogError {
    fn from(e: rusqlite::Error) -> Self {
        CatalogError::Storage(e.to_string())
    }
}

/// Statements kept prepared per connection: every query of this module fits.
const STATEMENT_CACHE: usize = 64;

/// One row, through the connection's statement cache: the lookups that every
/// request makes parse their SQL once, not on every call (SQL parsing was a
/// fifth of the server's CPU on render-cache hits).
fn query_one<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    row: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, row)
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

impl SqliteCatalog {
    /// Opens (creating and migrating) the catalog file.
    pub fn open(path: &Path) -> Result<SqliteCatalog> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        Self::init(conn)
    }

    /// An empty catalog in memory.
    pub fn open_in_memory() -> Result<SqliteCatalog> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<SqliteCatalog> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let applied: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let applied = usize::try_from(applied).unwrap_or(0);
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
            let tx = conn.transaction()?;
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(SqliteCatalog {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction open
        // (it rolls back on drop), so a poisoned lock is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn next_version(tx: &Transaction<'_>) -> Result<i64> {
    Ok(query_one(
        tx,
        "UPDATE catalog_version SET value = value + 1 WHERE id = 1 RETURNING value",
        [],
        |r| r.get(0),
    )?)
}

fn company_from_row(r: &Row<'_>) -> rusqlite::Result<Company> {
    Ok(Company {
        id: r.get(0)?,
        name: r.get(1)?,
        root_path: r.get(2)?,
        created_ms: r.get(3)?,
    })
}

fn folder_from_row(r: &Row<'_>) -> rusqlite::Result<Folder> {
    Ok(Folder {
        id: r.get(0)?,
        company_id: r.get(1)?,
        path: r.get(2)?,
        created_ms: r.get(3)?,
    })
}

fn asset_from_row(r: &Row<'_>) -> rusqlite::Result<Asset> {
    let type_name: String = r.get(5)?;
    let asset_type = AssetType::parse(&type_name).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            5,
            rusqlite::types::Type::Text,
            format!("unknown asset type {type_name}").into(),
        )
    })?;
    let size = |i: usize| -> rusqlite::Result<u32> {
        let v: i64 = r.get(i)?;
        Ok(u32::try_from(v).unwrap_or(0))
    };
    let file_size: i64 = r.get(13)?;
    Ok(Asset {
        id: r.get(0)?,
        company_id: r.get(1)?,
        folder_id: r.get(2)?,
        folder_path: r.get(3)?,
        name: r.get(4)?,
        asset_type,
        owner_id: r.get(6)?,
        url_modifier: r.get(7)?,
        url_post_modifier: r.get(8)?,
        width: size(9)?,
        height: size(10)?,
        blob: r.get(11)?,
        file_name: r.get(12)?,
        file_size: u64::try_from(file_size).unwrap_or(0),
        version: r.get(14)?,
        created_ms: r.get(15)?,
        created_by: r.get(16)?,
        modified_ms: r.get(17)?,
        modified_by: r.get(18)?,
    })
}

fn asset_by_id(conn: &Connection, id: i64) -> Result<Option<Asset>> {
    let sql = format!(
        "SELECT {ASSET_COLUMNS} FROM assets a JOIN folders f ON f.id = a.folder_id WHERE a.id = ?1"
    );
    Ok(query_one(conn, &sql, [id], asset_from_row).optional()?)
}

fn blob_unused(conn: &Connection, blob: &str) -> Result<bool> {
    let n: i64 = query_one(
        conn,
        "SELECT COUNT(*) FROM assets WHERE blob = ?1",
        [blob],
        |r| r.get(0),
    )?;
    Ok(n == 0)
}

fn load_user(conn: &Connection, email: &str) -> Result<Option<User>> {
    let row = query_one(
        conn,
        "SELECT id, email, first_name, last_name, role, password_hash FROM users WHERE email = ?1",
        [email],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        },
    )
    .optional()?;
    let Some((id, email, first_name, last_name, role, password_hash)) = row else {
        return Ok(None);
    };
    let role = Role::parse(&role)
        .ok_or_else(|| CatalogError::Storage(format!("user {email} has unknown role {role}")))?;
    let mut stmt = conn.prepare("SELECT company_id FROM user_companies WHERE user_id = ?1")?;
    let company_ids = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(Some(User {
        id,
        email,
        first_name,
        last_name,
        role,
        password_hash,
        company_ids,
    }))
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` prefix match.
fn like_prefix(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Catalog for SqliteCatalog {
    fn is_empty(&self) -> Result<bool> {
        let conn = self.lock();
        let n: i64 = query_one(&conn, "SELECT COUNT(*) FROM companies", [], |r| r.get(0))?;
        Ok(n == 0)
    }

    fn add_company(&self, name: &str) -> Result<Company> {
        if name.is_empty() || name.contains(['/', ',', '\\']) {
            return Err(CatalogError::Invalid(format!(
                "'{name}' is not a valid company name"
            )));
        }
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let now = now_ms();
        let root = format!("{name}/");
        let id: i64 = match query_one(
            &tx,
            "INSERT INTO companies (name, root_path, created_ms) VALUES (?1, ?2, ?3) RETURNING id",
            params![name, root, now],
            |r| r.get(0),
        ) {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => {
                return Err(CatalogError::Duplicate {
                    kind: "Company",
                    name: name.to_owned(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        tx.execute(
            "INSERT INTO folders (company_id, path, created_ms) VALUES (?1, ?2, ?3)",
            params![id, root, now],
        )?;
        tx.commit()?;
        Ok(Company {
            id,
            name: name.to_owned(),
            root_path: root,
            created_ms: now,
        })
    }

    fn company(&self, id: i64) -> Result<Option<Company>> {
        let conn = self.lock();
        Ok(query_one(
            &conn,
            "SELECT id, name, root_path, created_ms FROM companies WHERE id = ?1",
            [id],
            company_from_row,
        )
        .optional()?)
    }

    fn company_by_name(&self, name: &str) -> Result<Option<Company>> {
        let conn = self.lock();
        Ok(query_one(
            &conn,
            "SELECT id, name, root_path, created_ms FROM companies WHERE name = ?1",
            [name],
            company_from_row,
        )
        .optional()?)
    }

    fn companies(&self) -> Result<Vec<Company>> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare("SELECT id, name, root_path, created_ms FROM companies ORDER BY id")?;
        let rows = stmt.query_map([], company_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn create_folder(&self, company_id: i64, path: &str) -> Result<Folder> {
        let handle = FolderHandle::parse(path)
            .ok_or_else(|| CatalogError::Invalid(format!("'{path}' is not a folder path")))?;
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let root: Option<String> = query_one(
            &tx,
            "SELECT root_path FROM companies WHERE id = ?1",
            [company_id],
            |r| r.get(0),
        )
        .optional()?;
        let root = root.ok_or_else(|| CatalogError::NotFound(format!("company {company_id}")))?;
        if !handle.path.starts_with(&root) || handle.path == root {
            return Err(CatalogError::Invalid(format!(
                "folder '{}' is not inside the company root '{root}'",
                handle.path
            )));
        }
        if let Some(parent) = handle.parent() {
            let exists: Option<i64> = query_one(
                &tx,
                "SELECT id FROM folders WHERE company_id = ?1 AND path = ?2",
                params![company_id, parent.path],
                |r| r.get(0),
            )
            .optional()?;
            if exists.is_none() {
                return Err(CatalogError::NotFound(format!(
                    "parent folder '{}'",
                    parent.path
                )));
            }
        }
        let now = now_ms();
        let id: i64 = match query_one(
            &tx,
            "INSERT INTO folders (company_id, path, created_ms) VALUES (?1, ?2, ?3) RETURNING id",
            params![company_id, handle.path, now],
            |r| r.get(0),
        ) {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => {
                return Err(CatalogError::Duplicate {
                    kind: "Folder",
                    name: handle.path,
                });
            }
            Err(e) => return Err(e.into()),
        };
        tx.commit()?;
        Ok(Folder {
            id,
            company_id,
            path: handle.path,
            created_ms: now,
        })
    }

    fn folder(&self, company_id: i64, path: &str) -> Result<Option<Folder>> {
        let Some(handle) = FolderHandle::parse(path) else {
            return Ok(None);
        };
        let conn = self.lock();
        Ok(
            query_one(&conn,
                "SELECT id, company_id, path, created_ms FROM folders WHERE company_id = ?1 AND path = ?2",
                params![company_id, handle.path],
                folder_from_row,
            )
            .optional()?)
    }

    fn folders(&self, company_id: i64, under: Option<&str>) -> Result<Vec<Folder>> {
        let conn = self.lock();
        let prefix = match under.and_then(FolderHandle::parse) {
            Some(h) => like_prefix(&h.path),
            None => "%".to_owned(),
        };
        let mut stmt = conn.prepare(
            "SELECT id, company_id, path, created_ms FROM folders \
             WHERE company_id = ?1 AND path LIKE ?2 ESCAPE '\\' ORDER BY path",
        )?;
        let rows = stmt.query_map(params![company_id, prefix], folder_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn add_user(
        &self,
        email: &str,
        first_name: &str,
        last_name: &str,
        role: Role,
        password_hash: &str,
        company_ids: &[i64],
    ) -> Result<User> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let id: i64 = match query_one(
            &tx,
            "INSERT INTO users (email, first_name, last_name, role, password_hash, created_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            params![
                email,
                first_name,
                last_name,
                role.as_str(),
                password_hash,
                now_ms()
            ],
            |r| r.get(0),
        ) {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => {
                return Err(CatalogError::Duplicate {
                    kind: "User",
                    name: email.to_owned(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        for company_id in company_ids {
            tx.execute(
                "INSERT INTO user_companies (user_id, company_id) VALUES (?1, ?2)",
                params![id, company_id],
            )?;
        }
        tx.commit()?;
        Ok(User {
            id,
            email: email.to_owned(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            role,
            password_hash: password_hash.to_owned(),
            company_ids: company_ids.to_vec(),
        })
    }

    fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let conn = self.lock();
        load_user(&conn, email)
    }

    fn add_membership(&self, user_id: i64, company_id: i64) -> Result<()> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO user_companies (user_id, company_id) VALUES (?1, ?2) \
             ON CONFLICT (user_id, company_id) DO NOTHING",
            params![user_id, company_id],
        )?;
        Ok(())
    }

    fn asset(&self, id: i64) -> Result<Option<Asset>> {
        let conn = self.lock();
        asset_by_id(&conn, id)
    }

    fn asset_by_name(&self, company_id: i64, name: &str) -> Result<Option<Asset>> {
        let conn = self.lock();
        let sql = format!(
            "SELECT {ASSET_COLUMNS} FROM assets a JOIN folders f ON f.id = a.folder_id \
             WHERE a.company_id = ?1 AND a.name = ?2"
        );
        Ok(query_one(&conn, &sql, params![company_id, name], asset_from_row).optional()?)
    }

    fn search_assets(&self, query: &AssetQuery) -> Result<(u64, Vec<Asset>)> {
        let mut filter = String::from("a.company_id = ?");
        let mut args: Vec<rusqlite::types::Value> = vec![query.company_id.into()];
        if let Some(folder) = query.folder.as_deref().and_then(FolderHandle::parse) {
            if query.include_subfolders {
                filter.push_str(" AND f.path LIKE ? ESCAPE '\\'");
                args.push(like_prefix(&folder.path).into());
            } else {
                filter.push_str(" AND f.path = ?");
                args.push(folder.path.into());
            }
        }
        let mut list = |column: &str, values: Vec<String>, negate: bool| {
            if values.is_empty() {
                return;
            }
            let marks = vec!["?"; values.len()].join(", ");
            let not = if negate { "NOT " } else { "" };
            filter.push_str(&format!(" AND {column} {not}IN ({marks})"));
            args.extend(values.into_iter().map(rusqlite::types::Value::from));
        };
        list(
            "a.asset_type",
            query.types.iter().map(|t| t.as_str().to_owned()).collect(),
            false,
        );
        list(
            "a.asset_type",
            query
                .exclude_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            true,
        );
        list("a.name", query.names.clone(), false);
        if let Some(condition) = &query.name_match {
            let (sql, value) = match condition {
                NameMatch::Equals(v) => ("a.name = ?", v.clone()),
                NameMatch::NotEquals(v) => ("a.name <> ?", v.clone()),
                NameMatch::Contains(v) => {
                    ("a.name LIKE ? ESCAPE '\\'", format!("%{}", like_prefix(v)))
                }
                NameMatch::NotContains(v) => (
                    "a.name NOT LIKE ? ESCAPE '\\'",
                    format!("%{}", like_prefix(v)),
                ),
                NameMatch::StartsWith(v) => ("a.name LIKE ? ESCAPE '\\'", like_prefix(v)),
                NameMatch::EndsWith(v) => {
                    let pattern = like_prefix(v);
                    (
                        "a.name LIKE ? ESCAPE '\\'",
                        format!("%{}", &pattern[..pattern.len() - 1]),
                    )
                }
            };
            filter.push_str(" AND ");
            filter.push_str(sql);
            args.push(value.into());
        }
        if let Some(owner) = query.owner_id {
            filter.push_str(" AND a.owner_id = ?");
            args.push(owner.into());
        }
        let conn = self.lock();
        // Not cached: its shape changes with the query, and it would push
        // the per-request lookups out of the statement cache.
        let total: i64 = conn.query_row(
            &format!(
                "SELECT COUNT(*) FROM assets a JOIN folders f ON f.id = a.folder_id WHERE {filter}"
            ),
            params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        let limit = query.limit.clamp(1, 1000);
        let sql = format!(
            "SELECT {ASSET_COLUMNS} FROM assets a JOIN folders f ON f.id = a.folder_id \
             WHERE {filter} ORDER BY a.id LIMIT {limit} OFFSET {}",
            query.offset
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), asset_from_row)?;
        let assets = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((u64::try_from(total).unwrap_or(0), assets))
    }

    fn put_image(&self, image: &NewImage<'_>) -> Result<StoredImage> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let now = now_ms();
        let version = next_version(&tx)?;
        let existing: Option<(i64, String, Option<String>)> = query_one(
            &tx,
            "SELECT id, asset_type, blob FROM assets WHERE company_id = ?1 AND name = ?2",
            params![image.company_id, image.name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
        let (id, created, old_blob) = match existing {
            Some((id, kind, old_blob)) => {
                if kind != AssetType::Image.as_str() {
                    return Err(CatalogError::Duplicate {
                        kind: "Asset ID",
                        name: image.name.to_owned(),
                    });
                }
                tx.execute(
                    "UPDATE assets SET blob = ?1, file_name = ?2, file_size = ?3, width = ?4, \
                     height = ?5, version = ?6, modified_ms = ?7, modified_by = ?8 WHERE id = ?9",
                    params![
                        image.blob,
                        image.file_name,
                        image.file_size as i64,
                        image.width,
                        image.height,
                        version,
                        now,
                        image.user,
                        id
                    ],
                )?;
                (id, false, old_blob)
            }
            None => {
                let id: i64 = query_one(
                    &tx,
                    "INSERT INTO assets (company_id, folder_id, name, asset_type, blob, file_name, \
                     file_size, width, height, version, created_ms, created_by, modified_ms, modified_by) \
                     VALUES (?1, ?2, ?3, 'Image', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10, ?11) RETURNING id",
                    params![
                        image.company_id,
                        image.folder_id,
                        image.name,
                        image.blob,
                        image.file_name,
                        image.file_size as i64,
                        image.width,
                        image.height,
                        version,
                        now,
                        image.user
                    ],
                    |r| r.get(0),
                )?;
                (id, true, None)
            }
        };
        // A new owner file changes every derived view.
        let mut stmt = tx.prepare("SELECT id FROM assets WHERE owner_id = ?1")?;
        let touched = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        drop(stmt);
        tx.execute(
            "UPDATE assets SET version = ?1 WHERE owner_id = ?2",
            params![version, id],
        )?;
        let orphaned_blob = match old_blob {
            Some(old) if old != image.blob && blob_unused(&tx, &old)? => Some(old),
            _ => None,
        };
        let asset = asset_by_id(&tx, id)?
            .ok_or_else(|| CatalogError::Storage("stored image vanished".to_owned()))?;
        tx.commit()?;
        Ok(StoredImage {
            asset,
            created,
            orphaned_blob,
            touched,
        })
    }

    fn create_asset(&self, new: &NewAsset<'_>) -> Result<Asset> {
        if new.asset_type == AssetType::Image {
            return Err(CatalogError::Invalid(
                "images are stored with put_image".to_owned(),
            ));
        }
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        if new.asset_type.is_derived() {
            let owner_id = new.owner_id.ok_or_else(|| {
                CatalogError::Invalid("a derived asset needs an owner".to_owned())
            })?;
            let owner = asset_by_id(&tx, owner_id)?
                .ok_or_else(|| CatalogError::NotFound(format!("owner asset {owner_id}")))?;
            if owner.asset_type != AssetType::Image {
                return Err(CatalogError::Invalid(format!(
                    "the owner '{}' is a {}, not an Image",
                    owner.name, owner.asset_type
                )));
            }
            if owner.company_id != new.company_id {
                return Err(CatalogError::Invalid(
                    "the owner belongs to another company".to_owned(),
                ));
            }
        }
        let folder_company: Option<i64> = query_one(
            &tx,
            "SELECT company_id FROM folders WHERE id = ?1",
            [new.folder_id],
            |r| r.get(0),
        )
        .optional()?;
        if folder_company != Some(new.company_id) {
            return Err(CatalogError::NotFound(format!("folder {}", new.folder_id)));
        }
        let now = now_ms();
        let version = next_version(&tx)?;
        let id: i64 = match query_one(
            &tx,
            "INSERT INTO assets (company_id, folder_id, name, asset_type, owner_id, url_modifier, \
             url_post_modifier, version, created_ms, created_by, modified_ms, modified_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?9, ?10) RETURNING id",
            params![
                new.company_id,
                new.folder_id,
                new.name,
                new.asset_type.as_str(),
                new.owner_id,
                new.url_modifier,
                new.url_post_modifier,
                version,
                now,
                new.user
            ],
            |r| r.get(0),
        ) {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => {
                return Err(CatalogError::Duplicate {
                    kind: "Asset ID",
                    name: new.name.to_owned(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let asset = asset_by_id(&tx, id)?
            .ok_or_else(|| CatalogError::Storage("created asset vanished".to_owned()))?;
        tx.commit()?;
        Ok(asset)
    }

    fn set_url_modifier(
        &self,
        id: i64,
        url_modifier: Option<&str>,
        url_post_modifier: Option<&str>,
        user: &str,
    ) -> Result<Asset> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let asset =
            asset_by_id(&tx, id)?.ok_or_else(|| CatalogError::NotFound(format!("asset {id}")))?;
        let version = next_version(&tx)?;
        tx.execute(
            "UPDATE assets SET url_modifier = ?1, url_post_modifier = ?2, version = ?3, \
             modified_ms = ?4, modified_by = ?5 WHERE id = ?6",
            params![
                url_modifier.unwrap_or(&asset.url_modifier),
                url_post_modifier.unwrap_or(&asset.url_post_modifier),
                version,
                now_ms(),
                user,
                id
            ],
        )?;
        // An image's modifiers change how its derived views render too.
        tx.execute(
            "UPDATE assets SET version = ?1 WHERE owner_id = ?2",
            params![version, id],
        )?;
        let asset = asset_by_id(&tx, id)?
            .ok_or_else(|| CatalogError::Storage("updated asset vanished".to_owned()))?;
        tx.commit()?;
        Ok(asset)
    }

    fn delete_asset(&self, id: i64) -> Result<Deleted> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let asset =
            asset_by_id(&tx, id)?.ok_or_else(|| CatalogError::NotFound(format!("asset {id}")))?;
        let mut stmt = tx.prepare("SELECT id FROM assets WHERE owner_id = ?1 ORDER BY id")?;
        let mut ids = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        drop(stmt);
        tx.execute("DELETE FROM assets WHERE owner_id = ?1", [id])?;
        tx.execute("DELETE FROM assets WHERE id = ?1", [id])?;
        ids.insert(0, id);
        let mut orphaned_blobs = Vec::new();
        if let Some(blob) = asset.blob {
            if blob_unused(&tx, &blob)? {
                orphaned_blobs.push(blob);
            }
        }
        next_version(&tx)?;
        tx.commit()?;
        Ok(Deleted {
            ids,
            orphaned_blobs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image<'a>(company: &Company, folder: i64, name: &'a str, blob: &'a str) -> NewImage<'a> {
        NewImage {
            company_id: company.id,
            folder_id: folder,
            name,
            blob,
            file_name: "x.jpg",
            file_size: 10,
            width: 400,
            height: 300,
            user: "t@example.com",
        }
    }

    fn setup() -> (SqliteCatalog, Company, Folder) {
        let catalog = SqliteCatalog::open_in_memory().unwrap();
        let company = catalog.add_company("Acme").unwrap();
        let root = catalog.folder(company.id, "Acme/").unwrap().unwrap();
        (catalog, company, root)
    }

    #[test]
    fn replacing_an_owner_bumps_every_derived_version() {
        let (catalog, company, root) = setup();
        let owner = catalog
            .put_image(&image(&company, root.id, "shoe", &"a".repeat(64)))
            .unwrap();
        assert!(owner.created);
        let derived = catalog
            .create_asset(&NewAsset {
                company_id: company.id,
                folder_id: root.id,
                name: "shoe-crop",
                asset_type: AssetType::AdjustedView,
                owner_id: Some(owner.asset.id),
                url_modifier: "crop=0,0,10,10",
                url_post_modifier: "",
                user: "t",
            })
            .unwrap();
        let replaced = catalog
            .put_image(&image(&company, root.id, "shoe", &"b".repeat(64)))
            .unwrap();
        assert!(!replaced.created);
        assert_eq!(replaced.orphaned_blob, Some("a".repeat(64)));
        assert_eq!(replaced.touched, vec![derived.id]);
        let after = catalog.asset(derived.id).unwrap().unwrap();
        assert!(after.version > derived.version);
        assert_eq!(after.version, replaced.asset.version);
    }

    #[test]
    fn deleting_an_owner_cascades() {
        let (catalog, company, root) = setup();
        let owner = catalog
            .put_image(&image(&company, root.id, "shoe", &"a".repeat(64)))
            .unwrap();
        for name in ["v1", "v2"] {
            catalog
                .create_asset(&NewAsset {
                    company_id: company.id,
                    folder_id: root.id,
                    name,
                    asset_type: AssetType::LayerView,
                    owner_id: Some(owner.asset.id),
                    url_modifier: "",
                    url_post_modifier: "",
                    user: "t",
                })
                .unwrap();
        }
        let deleted = catalog.delete_asset(owner.asset.id).unwrap();
        assert_eq!(deleted.ids.len(), 3);
        assert_eq!(deleted.orphaned_blobs, vec!["a".repeat(64)]);
        assert!(catalog.asset_by_name(company.id, "v1").unwrap().is_none());
    }

    #[test]
    fn names_are_unique_per_company_and_owners_must_be_images() {
        let (catalog, company, root) = setup();
        let owner = catalog
            .put_image(&image(&company, root.id, "shoe", &"a".repeat(64)))
            .unwrap();
        let new = |name, owner_id| NewAsset {
            company_id: company.id,
            folder_id: root.id,
            name,
            asset_type: AssetType::AdjustedView,
            owner_id,
            url_modifier: "",
            url_post_modifier: "",
            user: "t",
        };
        let view = catalog
            .create_asset(&new("view", Some(owner.asset.id)))
            .unwrap();
        assert!(matches!(
            catalog.create_asset(&new("view", Some(owner.asset.id))),
            Err(CatalogError::Duplicate { .. })
        ));
        assert!(matches!(
            catalog.create_asset(&new("view2", Some(view.id))),
            Err(CatalogError::Invalid(_))
        ));
        assert!(matches!(
            catalog.put_image(&image(&company, root.id, "view", &"c".repeat(64))),
            Err(CatalogError::Duplicate { .. })
        ));
    }

    #[test]
    fn folders_and_search() {
        let (catalog, company, root) = setup();
        assert!(catalog.create_folder(company.id, "Acme/a/b/").is_err());
        let a = catalog.create_folder(company.id, "Acme/a/").unwrap();
        let b = catalog.create_folder(company.id, "f|Acme/a/b").unwrap();
        assert_eq!(b.path, "Acme/a/b/");
        catalog
            .put_image(&image(&company, root.id, "r", &"a".repeat(64)))
            .unwrap();
        catalog
            .put_image(&image(&company, a.id, "x", &"b".repeat(64)))
            .unwrap();
        catalog
            .put_image(&image(&company, b.id, "y", &"c".repeat(64)))
            .unwrap();
        let mut q = AssetQuery {
            company_id: company.id,
            folder: Some("Acme/a/".into()),
            include_subfolders: true,
            limit: 100,
            ..AssetQuery::default()
        };
        assert_eq!(catalog.search_assets(&q).unwrap().0, 2);
        q.include_subfolders = false;
        assert_eq!(catalog.search_assets(&q).unwrap().0, 1);
        q.include_subfolders = true;
        q.name_match = Some(NameMatch::Contains("_".into()));
        assert_eq!(catalog.search_assets(&q).unwrap().0, 0);
        q.name_match = Some(NameMatch::EndsWith("y".into()));
        assert_eq!(catalog.search_assets(&q).unwrap().0, 1);
        q.name_match = None;
        q.folder = None;
        q.limit = 1;
        q.offset = 1;
        let (total, page) = catalog.search_assets(&q).unwrap();
        assert_eq!((total, page.len(), page[0].name.as_str()), (3, 1, "x"));
        assert_eq!(
            catalog.folders(company.id, Some("Acme/a/")).unwrap().len(),
            2
        );
    }
}
