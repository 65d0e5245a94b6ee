//! One function per IPS operation (§7.7): read the `…Param` element, act on
//! the catalog, write the `…Return` content.
//!
//! Faults follow §7.4: a missing element is 30002, a bad value or handle
//! 30001, a name collision 30000, an inaccessible company 20000. Modifier
//! strings are parsed with the protocol module when they are registered, so a
//! bad one is a 30001 naming the problem, never a broken asset later.

use super::assets::{write_asset_array, write_company};
use super::soap::Fault;
use super::xml::{Element, Writer};
use super::{Caller, Changes, Ips, hash_password};
use crate::catalog::{
    Asset, AssetHandle, AssetQuery, AssetType, BlobStore, Catalog, CatalogError, Company,
    CompanyHandle, Folder, FolderHandle, NameMatch, NewAsset, Role,
};
use crate::protocol;

/// What every operation works with.
pub struct Context<'a> {
    pub catalog: &'a dyn Catalog,
    pub blobs: &'a BlobStore,
    pub caller: &'a Caller,
    pub param: &'a Element,
}

type OpResult = Result<(String, Changes), Fault>;

/// Runs an operation by name.
pub fn run(op: &str, ctx: &Context<'_>, ips: &Ips) -> OpResult {
    match op {
        "createDerivedAsset" => create_derived_asset(ctx),
        "setUrlModifier" => set_url_modifier(ctx),
        "deleteAsset" => delete_asset(ctx),
        "deleteAssets" => delete_assets(ctx),
        "getAssets" => get_assets(ctx),
        "getAssetsByName" => get_assets_by_name(ctx),
        "searchAssets" => search_assets(ctx),
        "getAssociatedAssets" => get_associated_assets(ctx),
        "copyImage" => copy_image(ctx),
        "createTemplate" => create_template(ctx),
        "addCompany" => add_company(ctx),
        "getCompanyInfo" => get_company_info(ctx),
        "createFolder" => create_folder(ctx),
        "getFolders" => get_folders(ctx),
        "addUser" => add_user(ctx),
        "checkLogin" => check_login(ctx, ips),
        other => Err(Fault::invalid_xml(format!(
            "operation '{other}' is not supported by this server"
        ))),
    }
}

fn catalog_fault(e: CatalogError) -> Fault {
    match e {
        CatalogError::Duplicate { kind, name } => {
            Fault::exception(format!("{kind} '{name}' is already in use."))
        }
        CatalogError::NotFound(what) => Fault::invalid_parameter(format!("{what} not found")),
        CatalogError::Invalid(why) => Fault::invalid_parameter(why),
        CatalogError::Storage(why) => {
            tracing::error!("catalog storage failed: {why}");
            Fault::exception("The catalog could not complete the operation")
        }
    }
}

/// The text of a required element; absent is 30002.
fn required<'a>(param: &'a Element, name: &str) -> Result<&'a str, Fault> {
    param
        .child_text(name)
        .ok_or_else(|| Fault::missing_parameter(name))
}

/// The text of a required element that must not be blank.
fn required_value<'a>(param: &'a Element, name: &str) -> Result<&'a str, Fault> {
    let value = required(param, name)?.trim();
    if value.is_empty() {
        return Err(Fault::invalid_parameter(format!("'{name}' is empty")));
    }
    Ok(value)
}

fn parse_bool(text: Option<&str>) -> Option<bool> {
    match text.map(str::trim) {
        Some("true") | Some("1") => Some(true),
        Some("false") | Some("0") => Some(false),
        _ => None,
    }
}

/// The company named by `companyHandle`, if the caller may act on it.
fn company(ctx: &Context<'_>) -> Result<Company, Fault> {
    let text = required_value(ctx.param, "companyHandle")?;
    company_by_handle(ctx, text)
}

fn company_by_handle(ctx: &Context<'_>, text: &str) -> Result<Company, Fault> {
    let handle = CompanyHandle::parse(text)
        .ok_or_else(|| Fault::invalid_parameter(format!("'{text}' is not a company handle")))?;
    let company = ctx
        .catalog
        .company(handle.0)
        .map_err(catalog_fault)?
        .ok_or_else(|| Fault::invalid_company(text))?;
    if !ctx.caller.user.can_access(company.id) {
        return Err(Fault::invalid_company(text));
    }
    Ok(company)
}

/// An asset of the company, by handle.
fn asset_in(ctx: &Context<'_>, company: &Company, text: &str) -> Result<Asset, Fault> {
    let id = AssetHandle::parse_id(text)
        .ok_or_else(|| Fault::invalid_parameter(format!("'{text}' is not an asset handle")))?;
    match ctx.catalog.asset(id).map_err(catalog_fault)? {
        Some(asset) if asset.company_id == company.id => Ok(asset),
        _ => Err(Fault::invalid_parameter(format!(
            "Asset '{text}' not found in company '{}'",
            company.name
        ))),
    }
}

/// A folder of the company, by handle (`Company/path/` or `f|Company/path/`).
fn folder_in(ctx: &Context<'_>, company: &Company, text: &str) -> Result<Folder, Fault> {
    let handle = FolderHandle::parse(text)
        .ok_or_else(|| Fault::invalid_parameter(format!("'{text}' is not a folder handle")))?;
    ctx.catalog
        .folder(company.id, &handle.path)
        .map_err(catalog_fault)?
        .ok_or_else(|| {
            Fault::invalid_parameter(format!(
                "Folder '{}' not found in company '{}'",
                handle.path, company.name
            ))
        })
}

/// The owner of a derived asset, for writing it out.
fn owner_of(ctx: &Context<'_>, asset: &Asset) -> Result<Option<Asset>, Fault> {
    match asset.owner_id {
        Some(id) => ctx.catalog.asset(id).map_err(catalog_fault),
        None => Ok(None),
    }
}

/// Parses the modifier strings the way a request would merge them; an error
/// is a 30001 that names the string and the problem.
fn validate_modifiers(
    company: &Company,
    name: &str,
    url_modifier: &str,
    url_post_modifier: &str,
) -> Result<(), Fault> {
    let object = format!("{}/{name}", company.name);
    let macros = crate::job::default_macros();
    let parsed = protocol::parse(
        protocol::Sources {
            modifier: url_modifier,
            request: "",
            post_modifier: url_post_modifier,
        },
        &protocol::Options {
            object: Some(&object),
            macros: Some(&macros),
            ..protocol::Options::default()
        },
    );
    if parsed.has_errors() {
        let messages: Vec<String> = parsed
            .diagnostics
            .errors()
            .map(|d| d.to_string().replace("modifier:", "urlModifier:"))
            .map(|s| s.replace("post-urlModifier:", "urlPostApplyModifier:"))
            .collect();
        return Err(Fault::invalid_parameter(messages.join("\n")));
    }
    Ok(())
}

fn user_label<'a>(ctx: &Context<'a>) -> &'a str {
    &ctx.caller.user.email
}

fn handle_return(name: &str, value: &str) -> String {
    let mut w = Writer::new();
    w.leaf(name, value);
    w.finish()
}

fn create_derived_asset(ctx: &Context<'_>) -> OpResult {
    let p = ctx.param;
    let company = company(ctx)?;
    let owner_text = required_value(p, "ownerHandle")?;
    let folder_text = required_value(p, "folderHandle")?;
    let name = required_value(p, "name")?;
    let type_text = required_value(p, "type")?;
    let asset_type = match AssetType::parse(type_text) {
        Some(t) if t.is_derived() => t,
        _ => {
            return Err(Fault::invalid_parameter(format!(
                "'{type_text}' is not a derived asset type: use AdjustedView or LayerView"
            )));
        }
    };
    let url_modifier = p.child_text("urlModifier").unwrap_or("");
    let url_post_modifier = p.child_text("urlPostApplyModifier").unwrap_or("");
    let owner = asset_in(ctx, &company, owner_text)?;
    if owner.asset_type != AssetType::Image {
        return Err(Fault::invalid_parameter(format!(
            "The owner '{}' is a {}, not an Image",
            owner.name, owner.asset_type
        )));
    }
    let folder = folder_in(ctx, &company, folder_text)?;
    validate_modifiers(&company, name, url_modifier, url_post_modifier)?;
    let asset = ctx
        .catalog
        .create_asset(&NewAsset {
            company_id: company.id,
            folder_id: folder.id,
            name,
            asset_type,
            owner_id: Some(owner.id),
            url_modifier,
            url_post_modifier,
            user: user_label(ctx),
        })
        .map_err(catalog_fault)?;
    Ok((
        handle_return("assetHandle", &asset.handle().to_string()),
        Changes {
            assets: vec![asset.id],
        },
    ))
}

fn set_url_modifier(ctx: &Context<'_>) -> OpResult {
    let p = ctx.param;
    let company = company(ctx)?;
    let asset = asset_in(ctx, &company, required_value(p, "assetHandle")?)?;
    // [GAP] An omitted element leaves its string unchanged; an empty one clears it.
    let url_modifier = p.child_text("urlModifier");
    let url_post_modifier = p.child_text("urlPostApplyModifier");
    validate_modifiers(
        &company,
        &asset.name,
        url_modifier.unwrap_or(&asset.url_modifier),
        url_post_modifier.unwrap_or(&asset.url_post_modifier),
    )?;
    ctx.catalog
        .set_url_modifier(asset.id, url_modifier, url_post_modifier, user_label(ctx))
        .map_err(catalog_fault)?;
    let derived = derived_ids(ctx, &company, asset.id)?;
    let mut assets = vec![asset.id];
    assets.extend(derived);
    Ok((String::new(), Changes { assets }))
}

fn derived_ids(ctx: &Context<'_>, company: &Company, owner_id: i64) -> Result<Vec<i64>, Fault> {
    let (_, derived) = ctx
        .catalog
        .search_assets(&AssetQuery {
            company_id: company.id,
            owner_id: Some(owner_id),
            limit: 1000,
            ..AssetQuery::default()
        })
        .map_err(catalog_fault)?;
    Ok(derived.into_iter().map(|a| a.id).collect())
}

/// Deletes an asset and its derived assets; frees blobs nothing uses.
fn delete_one(ctx: &Context<'_>, asset: &Asset) -> Result<Vec<i64>, Fault> {
    let deleted = ctx.catalog.delete_asset(asset.id).map_err(catalog_fault)?;
    for blob in &deleted.orphaned_blobs {
        if let Err(e) = ctx.blobs.remove(blob) {
            tracing::warn!("could not remove blob {blob}: {e}");
        }
    }
    Ok(deleted.ids)
}

fn delete_asset(ctx: &Context<'_>) -> OpResult {
    let company = company(ctx)?;
    let asset = asset_in(ctx, &company, required_value(ctx.param, "assetHandle")?)?;
    let ids = delete_one(ctx, &asset)?;
    Ok((String::new(), Changes { assets: ids }))
}

fn delete_assets(ctx: &Context<'_>) -> OpResult {
    let company = company(ctx)?;
    if ctx.param.child("assetHandleArray").is_none() {
        return Err(Fault::missing_parameter("assetHandleArray"));
    }
    let mut deleted: Vec<i64> = Vec::new();
    let mut successes = 0;
    let mut errors: Vec<(String, Fault)> = Vec::new();
    for handle in ctx.param.items("assetHandleArray") {
        // An asset removed by an earlier owner's cascade in this call counts as deleted.
        if AssetHandle::parse_id(&handle).is_some_and(|id| deleted.contains(&id)) {
            successes += 1;
            continue;
        }
        match asset_in(ctx, &company, &handle).and_then(|a| delete_one(ctx, &a)) {
            Ok(ids) => {
                successes += 1;
                deleted.extend(ids);
            }
            Err(fault) => errors.push((handle, fault)),
        }
    }
    let mut w = Writer::new();
    w.leaf("successCount", &successes.to_string());
    w.leaf("warningCount", "0");
    w.leaf("errorCount", &errors.len().to_string());
    if !errors.is_empty() {
        w.node("errorDetailArray", |w| {
            for (handle, fault) in &errors {
                w.node("items", |w| {
                    w.leaf("assetHandle", handle);
                    w.leaf("code", &fault.code.to_string());
                    w.leaf("reason", &fault.reason);
                });
            }
        });
    }
    Ok((w.finish(), Changes { assets: deleted }))
}

fn with_owners(
    ctx: &Context<'_>,
    assets: Vec<Asset>,
) -> Result<Vec<(Asset, Option<Asset>)>, Fault> {
    assets
        .into_iter()
        .map(|a| {
            let owner = owner_of(ctx, &a)?;
            Ok((a, owner))
        })
        .collect()
}

fn asset_array_return(
    ctx: &Context<'_>,
    company: &Company,
    total: Option<u64>,
    assets: Vec<Asset>,
) -> OpResult {
    let assets = with_owners(ctx, assets)?;
    let mut w = Writer::new();
    if let Some(total) = total {
        w.leaf("totalRows", &total.to_string());
    }
    write_asset_array(&mut w, "assetArray", company, &assets);
    Ok((w.finish(), Changes::default()))
}

fn get_assets(ctx: &Context<'_>) -> OpResult {
    let company = company(ctx)?;
    if ctx.param.child("assetHandleArray").is_none() {
        return Err(Fault::missing_parameter("assetHandleArray"));
    }
    let mut assets = Vec::new();
    for handle in ctx.param.items("assetHandleArray") {
        // Only assets the caller can read are returned; unknown handles are skipped.
        if let Ok(asset) = asset_in(ctx, &company, &handle) {
            assets.push(asset);
        }
    }
    asset_array_return(ctx, &company, None, assets)
}

fn asset_types(param: &Element, name: &str) -> Result<Vec<AssetType>, Fault> {
    param
        .items(name)
        .iter()
        .map(|t| {
            AssetType::parse(t)
                .ok_or_else(|| Fault::invalid_parameter(format!("unknown asset type '{t}'")))
        })
        .collect()
}

fn get_assets_by_name(ctx: &Context<'_>) -> OpResult {
    let company = company(ctx)?;
    if ctx.param.child("nameArray").is_none() {
        return Err(Fault::missing_parameter("nameArray"));
    }
    let names = ctx.param.items("nameArray");
    if names.is_empty() {
        return asset_array_return(ctx, &company, None, Vec::new());
    }
    let (_, assets) = ctx
        .catalog
        .search_assets(&AssetQuery {
            company_id: company.id,
            names,
            types: asset_types(ctx.param, "assetTypeArray")?,
            exclude_types: asset_types(ctx.param, "excludeAssetTypeArray")?,
            limit: 1000,
            ..AssetQuery::default()
        })
        .map_err(catalog_fault)?;
    asset_array_return(ctx, &company, None, assets)
}

fn search_assets(ctx: &Context<'_>) -> OpResult {
    let p = ctx.param;
    let company = company(ctx)?;
    let include_subfolders = parse_bool(Some(required(p, "includeSubfolders")?))
        .ok_or_else(|| Fault::invalid_parameter("'includeSubfolders' must be true or false"))?;
    let folder = match p
        .child_text("folder")
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        Some(text) => Some(folder_in(ctx, &company, text)?.path),
        None => None,
    };
    let mut name_match = None;
    if let Some(conditions) = p.child("systemFieldConditionArray") {
        for item in conditions.children_named("items") {
            let field = item.child_text("field").unwrap_or("").trim();
            let op = item.child_text("op").unwrap_or("").trim();
            let value = item.child_text("value").unwrap_or("").to_owned();
            if !field.eq_ignore_ascii_case("Name") {
                return Err(Fault::invalid_parameter(format!(
                    "searching by system field '{field}' is not supported; use Name"
                )));
            }
            name_match = Some(match op {
                "Equals" => NameMatch::Equals(value),
                "NotEquals" => NameMatch::NotEquals(value),
                "Contains" => NameMatch::Contains(value),
                "NotContains" => NameMatch::NotContains(value),
                "StartsWith" => NameMatch::StartsWith(value),
                "EndsWith" => NameMatch::EndsWith(value),
                other => {
                    return Err(Fault::invalid_parameter(format!(
                        "unknown string operator '{other}'"
                    )));
                }
            });
        }
    }
    let number = |name: &str, default: u32, max: u32| -> Result<u32, Fault> {
        match p.child_text(name).map(str::trim) {
            None | Some("") => Ok(default),
            Some(t) => t
                .parse::<u32>()
                .ok()
                .filter(|v| (1..=max).contains(v))
                .ok_or_else(|| Fault::invalid_parameter(format!("'{name}' must be 1 to {max}"))),
        }
    };
    let per_page = number("recordsPerPage", 1000, 1000)?;
    let page = number("resultsPage", 1, u32::MAX / 1000)?;
    let (total, assets) = ctx
        .catalog
        .search_assets(&AssetQuery {
            company_id: company.id,
            folder,
            include_subfolders,
            types: asset_types(p, "assetTypeArray")?,
            exclude_types: asset_types(p, "excludeAssetTypeArray")?,
            name_match,
            limit: per_page,
            offset: (page - 1).saturating_mul(per_page),
            ..AssetQuery::default()
        })
        .map_err(catalog_fault)?;
    asset_array_return(ctx, &company, Some(total), assets)
}

fn get_associated_assets(ctx: &Context<'_>) -> OpResult {
    let company = company(ctx)?;
    let asset = asset_in(ctx, &company, required_value(ctx.param, "assetHandle")?)?;
    let owner = owner_of(ctx, &asset)?;
    let (_, derived) = ctx
        .catalog
        .search_assets(&AssetQuery {
            company_id: company.id,
            owner_id: Some(asset.id),
            limit: 1000,
            ..AssetQuery::default()
        })
        .map_err(catalog_fault)?;
    let derived: Vec<(Asset, Option<Asset>)> = derived
        .into_iter()
        .map(|d| (d, Some(asset.clone())))
        .collect();
    let mut w = Writer::new();
    if let Some(owner) = owner {
        write_asset_array(&mut w, "ownerArray", &company, &[(owner, None)]);
    }
    if !derived.is_empty() {
        write_asset_array(&mut w, "derivedArray", &company, &derived);
    }
    Ok((w.finish(), Changes::default()))
}

fn copy_image(ctx: &Context<'_>) -> OpResult {
    let p = ctx.param;
    let company = company(ctx)?;
    let source = asset_in(ctx, &company, required_value(p, "assetHandle")?)?;
    let folder = folder_in(ctx, &company, required_value(p, "folderHandle")?)?;
    let name = required_value(p, "name")?;
    let url_modifier = required(p, "urlModifier")?;
    if source.asset_type != AssetType::Image {
        return Err(Fault::invalid_parameter(format!(
            "'{}' is a {}, not an Image",
            source.name, source.asset_type
        )));
    }
    validate_modifiers(&company, name, url_modifier, "")?;
    let blob = source
        .blob
        .as_deref()
        .ok_or_else(|| Fault::exception("the source image has no file"))?;
    if ctx
        .catalog
        .asset_by_name(company.id, name)
        .map_err(catalog_fault)?
        .is_some()
    {
        return Err(Fault::exception(format!(
            "Asset ID '{name}' is already in use."
        )));
    }
    // The copy shares the immutable original and carries the commands as its
    // own Modifier, so it renders as the source did with them applied and is
    // independent of later changes to the source.
    let stored = ctx
        .catalog
        .put_image(&crate::catalog::NewImage {
            company_id: company.id,
            folder_id: folder.id,
            name,
            blob,
            file_name: source.file_name.as_deref().unwrap_or(name),
            file_size: source.file_size,
            width: source.width,
            height: source.height,
            user: user_label(ctx),
        })
        .map_err(catalog_fault)?;
    let copy = ctx
        .catalog
        .set_url_modifier(stored.asset.id, Some(url_modifier), None, user_label(ctx))
        .map_err(catalog_fault)?;
    Ok((
        handle_return("assetHandle", &copy.handle().to_string()),
        Changes {
            assets: vec![copy.id],
        },
    ))
}

fn create_template(ctx: &Context<'_>) -> OpResult {
    let p = ctx.param;
    let company = company(ctx)?;
    let folder = folder_in(ctx, &company, required_value(p, "folderHandle")?)?;
    let name = required_value(p, "name")?;
    let type_text = required_value(p, "type")?;
    let asset_type = match AssetType::parse(type_text) {
        Some(t @ (AssetType::Template | AssetType::Watermark)) => t,
        _ => {
            return Err(Fault::invalid_parameter(format!(
                "'{type_text}' is not a template type: use Template or Watermark"
            )));
        }
    };
    let url_modifier = p.child_text("urlModifier").unwrap_or("");
    let url_post_modifier = p.child_text("urlPostApplyModifier").unwrap_or("");
    validate_modifiers(&company, name, url_modifier, url_post_modifier)?;
    let asset = ctx
        .catalog
        .create_asset(&NewAsset {
            company_id: company.id,
            folder_id: folder.id,
            name,
            asset_type,
            owner_id: None,
            url_modifier,
            url_post_modifier,
            user: user_label(ctx),
        })
        .map_err(catalog_fault)?;
    Ok((
        handle_return("assetHandle", &asset.handle().to_string()),
        Changes {
            assets: vec![asset.id],
        },
    ))
}

fn add_company(ctx: &Context<'_>) -> OpResult {
    let name = required_value(ctx.param, "companyName")?;
    let company = ctx.catalog.add_company(name).map_err(catalog_fault)?;
    if !ctx.caller.user.role.is_system_admin() {
        ctx.catalog
            .add_membership(ctx.caller.user.id, company.id)
            .map_err(catalog_fault)?;
    }
    let mut w = Writer::new();
    write_company(&mut w, "companyInfo", &company);
    Ok((w.finish(), Changes::default()))
}

fn get_company_info(ctx: &Context<'_>) -> OpResult {
    let p = ctx.param;
    let company = match (p.child_text("companyHandle"), p.child_text("companyName")) {
        (Some(h), _) if !h.trim().is_empty() => company_by_handle(ctx, h.trim())?,
        (_, Some(n)) if !n.trim().is_empty() => ctx
            .catalog
            .company_by_name(n.trim())
            .map_err(catalog_fault)?
            .filter(|c| ctx.caller.user.can_access(c.id))
            .ok_or_else(|| Fault::invalid_company(n.trim()))?,
        _ => return Err(Fault::missing_parameter("companyHandle")),
    };
    let mut w = Writer::new();
    write_company(&mut w, "companyInfo", &company);
    Ok((w.finish(), Changes::default()))
}

fn create_folder(ctx: &Context<'_>) -> OpResult {
    let company = company(ctx)?;
    let path = required_value(ctx.param, "folderPath")?;
    let handle = FolderHandle::parse(path)
        .ok_or_else(|| Fault::invalid_parameter(format!("'{path}' is not a folder path")))?;
    // A path without the company root is taken as relative to it.
    let full = if handle.company_name() == company.name {
        handle.path
    } else {
        format!("{}{}", company.root_path, handle.path)
    };
    let folder = ctx
        .catalog
        .create_folder(company.id, &full)
        .map_err(catalog_fault)?;
    Ok((
        handle_return("folderHandle", &folder.path),
        Changes::default(),
    ))
}

fn get_folders(ctx: &Context<'_>) -> OpResult {
    let company = company(ctx)?;
    let root = match ctx.param.child_text("folderPath").map(str::trim) {
        Some(p) if !p.is_empty() => folder_in(ctx, &company, p)?.path,
        _ => company.root_path.clone(),
    };
    let folders = ctx
        .catalog
        .folders(company.id, Some(&root))
        .map_err(catalog_fault)?;
    let paths: Vec<&str> = folders.iter().map(|f| f.path.as_str()).collect();
    let mut w = Writer::new();
    w.node("folderArray", |w| write_folder_tree(w, &root, &paths));
    Ok((w.finish(), Changes::default()))
}

/// Writes `path` as a `Folder` item with its children as `subfolderArray`.
fn write_folder_tree(w: &mut Writer, path: &str, all: &[&str]) {
    let children: Vec<&str> = all
        .iter()
        .copied()
        .filter(|p| {
            p.strip_prefix(path)
                .is_some_and(|rest| !rest.is_empty() && rest.matches('/').count() == 1)
        })
        .collect();
    w.node("items", |w| {
        w.leaf("folderHandle", path);
        w.leaf("path", path);
        w.leaf(
            "hasSubfolders",
            if children.is_empty() { "false" } else { "true" },
        );
        if !children.is_empty() {
            w.node("subfolderArray", |w| {
                for child in &children {
                    write_folder_tree(w, child, all);
                }
            });
        }
    });
}

fn add_user(ctx: &Context<'_>) -> OpResult {
    let p = ctx.param;
    let first_name = required(p, "firstName")?;
    let last_name = required(p, "lastName")?;
    let email = required_value(p, "email")?;
    let role_text = required_value(p, "defaultRole")?;
    let password = required_value(p, "password")?;
    let role = Role::parse(role_text)
        .ok_or_else(|| Fault::invalid_parameter(format!("unknown role '{role_text}'")))?;
    let caller = &ctx.caller.user;
    if role == Role::IpsAdmin && !caller.role.is_system_admin() {
        return Err(Fault::new(
            super::soap::FaultKind::Authorization,
            20005,
            "Only an IpsAdmin may create an IpsAdmin",
        ));
    }
    let mut company_ids = Vec::new();
    if let Some(memberships) = p.child("membershipArray") {
        for item in memberships.children_named("items") {
            let handle = item.child_text("companyHandle").unwrap_or("").trim();
            let company = company_by_handle(ctx, handle)?;
            if parse_bool(item.child_text("isActive")) != Some(false) {
                company_ids.push(company.id);
            }
        }
    }
    let hash = hash_password(password).map_err(Fault::exception)?;
    let user = ctx
        .catalog
        .add_user(email, first_name, last_name, role, &hash, &company_ids)
        .map_err(catalog_fault)?;
    Ok((
        handle_return("userHandle", &format!("u|{}|{}", user.id, user.email)),
        Changes::default(),
    ))
}

fn check_login(ctx: &Context<'_>, ips: &Ips) -> OpResult {
    let p = ctx.param;
    let email = required_value(p, "email")?;
    let password = required(p, "password")?;
    let user = ips
        .check_credentials(email, password)
        .map_err(catalog_fault)?;
    let company =
        match p.child_text("companyHandle").map(str::trim) {
            Some(h) if !h.is_empty() => Some(CompanyHandle::parse(h).ok_or_else(|| {
                Fault::invalid_parameter(format!("'{h}' is not a company handle"))
            })?),
            _ => None,
        };
    let valid = match (user, company) {
        (Some(u), Some(c)) => u.can_access(c.0),
        (Some(_), None) => true,
        (None, _) => false,
    };
    Ok((
        handle_return("status", if valid { "ValidLogin" } else { "InvalidLogin" }),
        Changes::default(),
    ))
}
