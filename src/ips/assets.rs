//! Catalog records written as the WSDL's types (`Asset`, `ImageInfo`,
//! `LayerViewInfo`, `TemplateInfo`, `Company`, `Folder`), elements in the
//! WSDL's order. This module only formats; it never queries the catalog.

use super::xml::Writer;
use crate::catalog::{Asset, AssetType, Company, iso8601};

/// The IS URL of a view: its owner (or itself) with both modifier strings.
fn view_url(company: &Company, asset: &Asset, owner: Option<&Asset>) -> String {
    let object = owner.map_or(asset.name.as_str(), |o| o.name.as_str());
    let commands: Vec<&str> = [
        asset.url_modifier.as_str(),
        asset.url_post_modifier.as_str(),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect();
    if commands.is_empty() {
        format!("/is/image/{}/{object}", company.name)
    } else {
        format!("/is/image/{}/{object}?{}", company.name, commands.join("&"))
    }
}

/// Writes one `Asset`; `owner` is the owner image of a derived asset.
pub fn write_asset(w: &mut Writer, company: &Company, asset: &Asset, owner: Option<&Asset>) {
    w.leaf("assetHandle", &asset.handle().to_string());
    w.leaf("type", asset.asset_type.as_str());
    w.leaf("name", &asset.name);
    w.opt_leaf("fileName", asset.file_name.as_deref());
    w.leaf("folder", &asset.folder_path);
    w.leaf("folderHandle", &asset.folder_path);
    w.leaf("trashState", "NotInTrash");
    w.leaf("created", &iso8601(asset.created_ms));
    w.leaf("createUser", &asset.created_by);
    w.leaf("lastModified", &iso8601(asset.modified_ms));
    w.leaf("lastModifyUser", &asset.modified_by);
    match asset.asset_type {
        AssetType::Image | AssetType::AdjustedView => {
            // An AdjustedView reports its owner's file and size with its own modifiers.
            let file = owner.unwrap_or(asset);
            w.node("imageInfo", |w| {
                w.leaf("originalPath", &file.folder_path);
                w.opt_leaf("originalFile", file.file_name.as_deref());
                w.leaf("width", &file.width.to_string());
                w.leaf("height", &file.height.to_string());
                w.leaf("fileSize", &file.file_size.to_string());
                w.leaf("urlModifier", &asset.url_modifier);
                w.leaf("urlPostApplyModifier", &asset.url_post_modifier);
            });
        }
        AssetType::LayerView | AssetType::Template | AssetType::Watermark => {
            let element = match asset.asset_type {
                AssetType::LayerView => "layerViewInfo",
                AssetType::Template => "templateInfo",
                _ => "watermarkInfo",
            };
            w.node(element, |w| {
                w.leaf("url", &view_url(company, asset, owner));
                w.leaf("urlModifier", &asset.url_modifier);
                w.leaf("urlPostApplyModifier", &asset.url_post_modifier);
            });
        }
    }
}

/// Writes an `AssetArray` named `name`.
pub fn write_asset_array(
    w: &mut Writer,
    name: &str,
    company: &Company,
    assets: &[(Asset, Option<Asset>)],
) {
    w.node(name, |w| {
        for (asset, owner) in assets {
            w.node("items", |w| write_asset(w, company, asset, owner.as_ref()));
        }
    });
}

/// Writes a `Company` named `name`.
pub fn write_company(w: &mut Writer, name: &str, company: &Company) {
    w.node(name, |w| {
        w.leaf("companyHandle", &company.handle().to_string());
        w.leaf("name", &company.name);
        w.leaf("rootPath", &company.root_path);
    });
}
