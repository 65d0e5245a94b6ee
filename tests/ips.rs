//! The IPS SOAP API and the upload API, end to end: a real server on
//! `127.0.0.1:0`, a real HTTP client, real images.

mod support;

use reqwest::StatusCode;
use support::{ADMIN, ADMIN_PASSWORD, Server};

const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
const NS: &str = "http://www.scene7.com/IpsApi/xsd/2008-01-15";

fn envelope(user: &str, password: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="{SOAP11}">
  <soapenv:Header>
    <authHeader xmlns="http://www.scene7.com/IpsApi/xsd">
      <user>{user}</user><password>{password}</password>
      <appName>MyApp</appName><appVersion>1.0</appVersion>
    </authHeader>
  </soapenv:Header>
  <soapenv:Body>{body}</soapenv:Body>
</soapenv:Envelope>"#
    )
}

async fn post_raw(server: &Server, xml: &str) -> (StatusCode, String) {
    let response = reqwest::Client::new()
        .post(server.url("/scene7/services/IpsApiService"))
        .header("Content-Type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "createDerivedAsset")
        .body(xml.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// Posts an operation as the admin.
async fn call(server: &Server, body: &str) -> (StatusCode, String) {
    post_raw(server, &envelope(ADMIN, ADMIN_PASSWORD, body)).await
}

/// The text of the first `<name>` element in a document.
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

fn fault_code(xml: &str) -> Option<u32> {
    element(xml, "ns1:code")?.parse().ok()
}

async fn company_handle(server: &Server, name: &str) -> String {
    let (status, body) = call(
        server,
        &format!(r#"<getCompanyInfoParam xmlns="{NS}"><companyName>{name}</companyName></getCompanyInfoParam>"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    element(&body, "companyHandle").unwrap().to_owned()
}

async fn asset_handle(server: &Server, company: &str, name: &str) -> Option<String> {
    let (status, body) = call(
        server,
        &format!(
            r#"<getAssetsByNameParam xmlns="{NS}"><companyHandle>{company}</companyHandle><nameArray><items>{name}</items></nameArray></getAssetsByNameParam>"#
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    element(&body, "assetHandle").map(str::to_owned)
}

async fn create_derived(
    server: &Server,
    company: &str,
    owner: &str,
    name: &str,
    kind: &str,
    modifier: &str,
) -> (StatusCode, String) {
    call(
        server,
        &format!(
            r#"<createDerivedAssetParam xmlns="{NS}"><companyHandle>{company}</companyHandle><ownerHandle>{owner}</ownerHandle><folderHandle>Demo/</folderHandle><name>{name}</name><type>{kind}</type><urlModifier>{modifier}</urlModifier></createDerivedAssetParam>"#
        ),
    )
    .await
}

async fn put_image(
    server: &Server,
    company: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    reqwest::Client::new()
        .put(server.url(&format!("/api/v1/companies/{company}/images/{name}")))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .body(bytes)
        .send()
        .await
        .unwrap()
}

async fn get_image(server: &Server, path: &str) -> (StatusCode, Vec<u8>) {
    let response = reqwest::get(server.url(path)).await.unwrap();
    let status = response.status();
    (status, response.bytes().await.unwrap().to_vec())
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap()
}

/// The seed page's request and response, with a real company and owner.
#[tokio::test]
async fn seed_create_derived_asset_round_trip() {
    let server = support::start().await;
    // The seed uses company ApiTestCo with root folder ApiTestCo/.
    let (status, body) = call(
        &server,
        &format!(r#"<addCompanyParam xmlns="{NS}"><companyName>ApiTestCo</companyName></addCompanyParam>"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let company = element(&body, "companyHandle").unwrap().to_owned();
    assert_eq!(element(&body, "rootPath"), Some("ApiTestCo/"));

    let response = put_image(&server, "ApiTestCo", "owner", fixture("photo.jpg")).await;
    assert_eq!(response.status(), 201);
    let json: serde_json::Value = response.json().await.unwrap();
    let owner = json["assetHandle"].as_str().unwrap().to_owned();
    assert_eq!(
        (json["width"].as_u64(), json["height"].as_u64()),
        (Some(400), Some(300))
    );

    let seed = format!(
        r#"<createDerivedAssetParam xmlns="http://www.scene7.com/IpsApi/xsd/2008-01-15">
   <companyHandle>{company}</companyHandle>
   <ownerHandle>{owner}</ownerHandle>
   <folderHandle>ApiTestCo/</folderHandle>
   <name>ApiDerivedAsset</name>
   <type>AdjustedView</type>
   <urlModifier>modify=this</urlModifier>
   <urlPostApplyModifier>action=awesome</urlPostApplyModifier>
</createDerivedAssetParam>"#
    );
    let (status, body) = call(&server, &seed).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(r#"<createDerivedAssetReturn xmlns="http://www.scene7.com/IpsApi/xsd/2008-01-15"><assetHandle>a|"#),
        "{body}"
    );
    let derived = element(&body, "assetHandle").unwrap().to_owned();
    assert_eq!(derived.split('|').nth(2), Some("10"), "{derived}");

    let (status, bytes) = get_image(&server, "/is/image/ApiTestCo/ApiDerivedAsset?wid=200").await;
    assert_eq!(status, 200);
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (200, 150));

    // Deleting the owner deletes the derived asset.
    let (status, body) = call(
        &server,
        &format!(r#"<deleteAssetParam xmlns="{NS}"><companyHandle>{company}</companyHandle><assetHandle>{owner}</assetHandle></deleteAssetParam>"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!(r#"<deleteAssetReturn xmlns="{NS}"/>"#)),
        "{body}"
    );
    let (status, _) = get_image(&server, "/is/image/ApiTestCo/ApiDerivedAsset?wid=200").await;
    assert_eq!(status, 403);
    let (status, body) = call(
        &server,
        &format!(r#"<getAssetsParam xmlns="{NS}"><companyHandle>{company}</companyHandle><assetHandleArray><items>{derived}</items><items>{owner}</items></assetHandleArray></getAssetsParam>"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("ApiDerivedAsset"), "{body}");
    assert!(!body.contains("<items>"), "{body}");
}

#[tokio::test]
async fn derived_modifiers_apply_and_the_request_overrides_them() {
    let server = support::start().await;
    let company = company_handle(&server, "Demo").await;
    let owner = asset_handle(&server, &company, "photo").await.unwrap();
    let (status, body) = call(
        &server,
        &format!(r#"<createDerivedAssetParam xmlns="{NS}"><companyHandle>{company}</companyHandle><ownerHandle>{owner}</ownerHandle><folderHandle>Demo/</folderHandle><name>small</name><type>AdjustedView</type><urlModifier>wid=100&amp;fmt=png</urlModifier><urlPostApplyModifier>hei=60</urlPostApplyModifier></createDerivedAssetParam>"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Modifier wid=100 < request wid=300 < PostModifier hei=60: 300x60, letterboxed.
    let (status, bytes) = get_image(&server, "/is/image/Demo/small?wid=300").await;
    assert_eq!(status, 200);
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png).unwrap();
    assert_eq!((img.width(), img.height()), (300, 60));
    // setUrlModifier changes the next render.
    let handle = asset_handle(&server, &company, "small").await.unwrap();
    let (status, body) = call(
        &server,
        &format!(r#"<setUrlModifierParam xmlns="{NS}"><companyHandle>{company}</companyHandle><assetHandle>{handle}</assetHandle><urlPostApplyModifier></urlPostApplyModifier></setUrlModifierParam>"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, bytes) = get_image(&server, "/is/image/Demo/small").await;
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (100, 75));
}

#[tokio::test]
async fn faults_carry_their_documented_codes() {
    let server = support::start().await;
    let company = company_handle(&server, "Demo").await;
    let owner = asset_handle(&server, &company, "photo").await.unwrap();
    let view = asset_handle(&server, &company, "photo-crop").await.unwrap();
    let create = |owner: &str, name: &str, kind: &str, modifier: &str| {
        format!(
            r#"<createDerivedAssetParam xmlns="{NS}"><companyHandle>{company}</companyHandle><ownerHandle>{owner}</ownerHandle><folderHandle>Demo/</folderHandle><name>{name}</name><type>{kind}</type><urlModifier>{modifier}</urlModifier></createDerivedAssetParam>"#
        )
    };
    let cases: Vec<(String, u32)> = vec![
        // No credentials.
        (
            format!(
                r#"<soapenv:Envelope xmlns:soapenv="{SOAP11}"><soapenv:Body>{}</soapenv:Body></soapenv:Envelope>"#,
                create(&owner, "a", "AdjustedView", "")
            ),
            10000,
        ),
        // Wrong password.
        (
            envelope(ADMIN, "wrong", &create(&owner, "a", "AdjustedView", "")),
            10001,
        ),
        // Malformed XML and a body that is not SOAP.
        ("<soapenv:Envelope".to_owned(), 30003),
        ("<hello/>".to_owned(), 30003),
    ];
    for (xml, code) in cases {
        let (status, body) = post_raw(&server, &xml).await;
        assert_eq!(status, 500, "{body}");
        assert_eq!(fault_code(&body), Some(code), "{body}");
    }
    let cases: Vec<(String, u32)> = vec![
        // Missing element.
        (
            format!(
                r#"<createDerivedAssetParam xmlns="{NS}"><companyHandle>{company}</companyHandle><ownerHandle>{owner}</ownerHandle><folderHandle>Demo/</folderHandle><type>AdjustedView</type></createDerivedAssetParam>"#
            ),
            30002,
        ),
        // Unknown type, owner not an Image, bad handles.
        (create(&owner, "a", "Picture", ""), 30001),
        (create(&view, "a", "AdjustedView", ""), 30001),
        (create("a|999999|1|1", "a", "AdjustedView", ""), 30001),
        (create("nonsense", "a", "AdjustedView", ""), 30001),
        // A bad modifier is named in the fault.
        (create(&owner, "a", "AdjustedView", "wid=abc"), 30001),
        // A name already in use.
        (create(&owner, "photo-crop", "AdjustedView", ""), 30000),
        // A company that does not exist.
        (
            format!(
                r#"<getCompanyInfoParam xmlns="{NS}"><companyHandle>c|999</companyHandle></getCompanyInfoParam>"#
            ),
            20000,
        ),
        // An operation we do not serve.
        (format!(r#"<submitJobParam xmlns="{NS}"/>"#), 30003),
    ];
    for (param, code) in cases {
        let (status, body) = call(&server, &param).await;
        assert_eq!(status, 500, "{param}\n{body}");
        assert_eq!(fault_code(&body), Some(code), "{param}\n{body}");
    }
    let (_, body) = call(&server, &create(&owner, "a", "AdjustedView", "wid=abc")).await;
    assert!(
        body.contains("wid: expected an integer &gt; 0, found `abc`"),
        "{body}"
    );
    let (_, body) = call(&server, &create(&owner, "photo-crop", "AdjustedView", "")).await;
    assert!(
        body.contains("Asset ID 'photo-crop' is already in use."),
        "{body}"
    );
    assert!(
        body.contains("<faultstring>ipsApiFault</faultstring>"),
        "{body}"
    );

    // faultHttpStatusCode turns the HTTP status of faults to 200.
    let xml = format!(
        r#"<soapenv:Envelope xmlns:soapenv="{SOAP11}"><soapenv:Header><authHeader xmlns="http://www.scene7.com/IpsApi/xsd/2016-01-14-beta"><user>{ADMIN}</user><password>wrong</password><faultHttpStatusCode>200</faultHttpStatusCode></authHeader></soapenv:Header><soapenv:Body>{}</soapenv:Body></soapenv:Envelope>"#,
        create(&owner, "a", "AdjustedView", "")
    );
    let (status, body) = post_raw(&server, &xml).await;
    assert_eq!(
        (status.as_u16(), fault_code(&body)),
        (200, Some(10001)),
        "{body}"
    );
}

#[tokio::test]
async fn soap12_basic_auth_and_any_namespace() {
    let server = support::start().await;
    for ns in [
        "http://www.scene7.com/IpsApi/xsd",
        "http://www.scene7.com/IpsApi/xsd/2014-04-03",
        "http://www.scene7.com/IpsApi/xsd/2013-08-29-beta",
    ] {
        let xml = format!(
            r#"<env:Envelope xmlns:env="{SOAP12}"><env:Body><getCompanyInfoParam xmlns="{ns}"><companyName>Demo</companyName></getCompanyInfoParam></env:Body></env:Envelope>"#
        );
        let response = reqwest::Client::new()
            .post(server.url("/scene7/services/IpsApiService"))
            .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
            .header("Content-Type", "application/soap+xml; charset=utf-8")
            .body(xml)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response
                .headers()
                .get("content-type")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("application/soap+xml")
        );
        let body = response.text().await.unwrap();
        assert!(body.contains(SOAP12), "{body}");
        assert!(
            body.contains(&format!(r#"<getCompanyInfoReturn xmlns="{ns}">"#)),
            "{body}"
        );
        assert_eq!(element(&body, "name"), Some("Demo"));
    }
}

/// Each role against createDerivedAsset: six may, ImagePortalUser and the
/// trial roles may not.
#[tokio::test]
async fn roles_are_enforced_per_operation() {
    let server = support::start().await;
    let company = company_handle(&server, "Demo").await;
    let owner = asset_handle(&server, &company, "photo").await.unwrap();
    let roles = [
        ("IpsUser", true),
        ("IpsAdmin", true),
        ("IpsCompanyAdmin", true),
        ("ImagePortalAdmin", true),
        ("ImagePortalContrib", true),
        ("ImagePortalContribUser", true),
        ("ImagePortalUser", false),
        ("TrialSiteUser", false),
    ];
    for (i, (role, allowed)) in roles.iter().enumerate() {
        let email = format!("user{i}@example.com");
        let (status, body) = call(
            &server,
            &format!(r#"<addUserParam xmlns="{NS}"><firstName>A</firstName><lastName>B</lastName><email>{email}</email><defaultRole>{role}</defaultRole><password>pw{i}</password><isValid>true</isValid><membershipArray><items><companyHandle>{company}</companyHandle><role>{role}</role><isActive>true</isActive></items></membershipArray></addUserParam>"#),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let param = format!(
            r#"<createDerivedAssetParam xmlns="{NS}"><companyHandle>{company}</companyHandle><ownerHandle>{owner}</ownerHandle><folderHandle>Demo/</folderHandle><name>by-{role}</name><type>LayerView</type></createDerivedAssetParam>"#
        );
        let (status, body) = post_raw(&server, &envelope(&email, &format!("pw{i}"), &param)).await;
        if *allowed {
            assert_eq!(status, 200, "{role}: {body}");
        } else {
            assert_eq!(fault_code(&body), Some(20003), "{role}: {body}");
            assert!(body.contains("AuthorizationException"), "{body}");
        }
    }
    // A user outside the company cannot reach it.
    let (status, body) = call(
        &server,
        &format!(r#"<addUserParam xmlns="{NS}"><firstName>A</firstName><lastName>B</lastName><email>outsider@example.com</email><defaultRole>IpsUser</defaultRole><password>pw</password><isValid>true</isValid><membershipArray/></addUserParam>"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let param = format!(
        r#"<getCompanyInfoParam xmlns="{NS}"><companyHandle>{company}</companyHandle></getCompanyInfoParam>"#
    );
    let (_, body) = post_raw(&server, &envelope("outsider@example.com", "pw", &param)).await;
    assert_eq!(fault_code(&body), Some(20000), "{body}");
    // Only admins add companies.
    let param =
        format!(r#"<addCompanyParam xmlns="{NS}"><companyName>X</companyName></addCompanyParam>"#);
    let (_, body) = post_raw(&server, &envelope("outsider@example.com", "pw", &param)).await;
    assert_eq!(fault_code(&body), Some(20003), "{body}");
}

#[tokio::test]
async fn concurrent_creates_with_one_name_have_one_winner() {
    let server = support::start().await;
    let company = company_handle(&server, "Demo").await;
    let owner = asset_handle(&server, &company, "photo").await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let param = format!(
            r#"<createDerivedAssetParam xmlns="{NS}"><companyHandle>{company}</companyHandle><ownerHandle>{owner}</ownerHandle><folderHandle>Demo/</folderHandle><name>race</name><type>AdjustedView</type><urlModifier>wid=50</urlModifier></createDerivedAssetParam>"#
        );
        let url = server.url("/scene7/services/IpsApiService");
        tasks.push(tokio::spawn(async move {
            let response = reqwest::Client::new()
                .post(url)
                .body(envelope(ADMIN, ADMIN_PASSWORD, &param))
                .send()
                .await
                .unwrap();
            (response.status(), response.text().await.unwrap())
        }));
    }
    let mut wins = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        if status == 200 {
            wins += 1;
        } else {
            assert_eq!(fault_code(&body), Some(30000), "{body}");
        }
    }
    assert_eq!(wins, 1);
    let (status, bytes) = get_image(&server, "/is/image/Demo/race").await;
    assert_eq!(status, 200);
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 50);
}

#[tokio::test]
async fn delete_assets_counts_and_reports_each_failure() {
    let server = support::start().await;
    let company = company_handle(&server, "Demo").await;
    let owner = asset_handle(&server, &company, "photo").await.unwrap();
    let derived = asset_handle(&server, &company, "photo-crop").await.unwrap();
    let gray = asset_handle(&server, &company, "gray").await.unwrap();
    let (status, body) = call(
        &server,
        &format!(r#"<deleteAssetsParam xmlns="{NS}"><companyHandle>{company}</companyHandle><assetHandleArray><items>{owner}</items><items>{derived}</items><items>{gray}</items><items>a|424242|1|1</items></assetHandleArray></deleteAssetsParam>"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(element(&body, "successCount"), Some("3"), "{body}");
    assert_eq!(element(&body, "warningCount"), Some("0"));
    assert_eq!(element(&body, "errorCount"), Some("1"));
    assert!(
        body.contains(
            "<errorDetailArray><items><assetHandle>a|424242|1|1</assetHandle><code>30001</code>"
        ),
        "{body}"
    );
    for name in ["photo", "photo-crop", "photo-sale", "gray"] {
        assert_eq!(
            get_image(&server, &format!("/is/image/Demo/{name}"))
                .await
                .0,
            403
        );
    }
}

#[tokio::test]
async fn search_associated_and_by_name() {
    let server = support::start().await;
    let company = company_handle(&server, "Demo").await;
    let owner = asset_handle(&server, &company, "photo").await.unwrap();
    let search = |extra: &str| {
        format!(
            r#"<searchAssetsParam xmlns="{NS}"><companyHandle>{company}</companyHandle><folder>Demo/</folder><includeSubfolders>true</includeSubfolders>{extra}</searchAssetsParam>"#
        )
    };
    let (status, body) = call(
        &server,
        &search(
            "<assetTypeArray><items>AdjustedView</items><items>LayerView</items></assetTypeArray>",
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(element(&body, "totalRows"), Some("2"));
    assert!(
        body.contains("<layerViewInfo><url>/is/image/Demo/photo?layer=1"),
        "{body}"
    );
    assert!(body.contains("<imageInfo><originalPath>Demo/</originalPath><originalFile>photo.jpg</originalFile><width>400</width><height>300</height>"), "{body}");
    // Paging: 7 assets, 3 per page, page 3 holds one.
    let (_, body) = call(
        &server,
        &search("<recordsPerPage>3</recordsPerPage><resultsPage>3</resultsPage>"),
    )
    .await;
    assert_eq!(element(&body, "totalRows"), Some("7"));
    assert_eq!(body.matches("<assetHandle>").count(), 1, "{body}");
    // Name condition.
    let (_, body) = call(&server, &search("<systemFieldConditionArray><items><field>Name</field><op>StartsWith</op><value>photo-</value></items></systemFieldConditionArray>")).await;
    assert_eq!(element(&body, "totalRows"), Some("2"), "{body}");
    // Associated assets: the owner lists its derived views; a view lists its owner.
    let (_, body) = call(&server, &format!(r#"<getAssociatedAssetsParam xmlns="{NS}"><companyHandle>{company}</companyHandle><assetHandle>{owner}</assetHandle></getAssociatedAssetsParam>"#)).await;
    assert!(body.contains("<derivedArray>"), "{body}");
    assert_eq!(body.matches("<assetHandle>").count(), 2, "{body}");
    let view = asset_handle(&server, &company, "photo-crop").await.unwrap();
    let (_, body) = call(&server, &format!(r#"<getAssociatedAssetsParam xmlns="{NS}"><companyHandle>{company}</companyHandle><assetHandle>{view}</assetHandle></getAssociatedAssetsParam>"#)).await;
    assert!(
        body.contains(&format!(
            "<ownerArray><items><assetHandle>{owner}</assetHandle>"
        )),
        "{body}"
    );
    // Not found by name: an empty array.
    let (_, body) = call(&server, &format!(r#"<getAssetsByNameParam xmlns="{NS}"><companyHandle>{company}</companyHandle><nameArray><items>nope</items></nameArray></getAssetsByNameParam>"#)).await;
    assert!(body.contains("<assetArray></assetArray>"), "{body}");
}

#[tokio::test]
async fn folders_templates_copies_and_logins() {
    let server = support::start().await;
    let company = company_handle(&server, "Demo").await;
    let (status, body) = call(&server, &format!(r#"<createFolderParam xmlns="{NS}"><companyHandle>{company}</companyHandle><folderPath>Demo/shoes/</folderPath></createFolderParam>"#)).await;
    assert_eq!(
        (status.as_u16(), element(&body, "folderHandle")),
        (200, Some("Demo/shoes/")),
        "{body}"
    );
    let (_, body) = call(&server, &format!(r#"<createFolderParam xmlns="{NS}"><companyHandle>{company}</companyHandle><folderPath>Demo/a/b/</folderPath></createFolderParam>"#)).await;
    assert_eq!(fault_code(&body), Some(30001), "{body}");
    let (_, body) = call(&server, &format!(r#"<getFoldersParam xmlns="{NS}"><companyHandle>{company}</companyHandle></getFoldersParam>"#)).await;
    assert!(
        body.contains("<subfolderArray><items><folderHandle>Demo/shoes/</folderHandle>"),
        "{body}"
    );
    let (status, body) = call(&server, &format!(r#"<createTemplateParam xmlns="{NS}"><companyHandle>{company}</companyHandle><folderHandle>Demo/shoes/</folderHandle><name>tpl</name><type>Template</type><urlModifier>size=100,100&amp;layer=1&amp;src=$object$</urlModifier></createTemplateParam>"#)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        element(&body, "assetHandle").unwrap().split('|').nth(2),
        Some("2")
    );
    let owner = asset_handle(&server, &company, "photo").await.unwrap();
    let (status, body) = call(&server, &format!(r#"<copyImageParam xmlns="{NS}"><companyHandle>{company}</companyHandle><assetHandle>{owner}</assetHandle><folderHandle>Demo/shoes/</folderHandle><name>photo-copy</name><urlModifier>wid=120</urlModifier></copyImageParam>"#)).await;
    assert_eq!(status, 200, "{body}");
    let (_, bytes) = get_image(&server, "/is/image/Demo/photo-copy").await;
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 120);
    for (password, expected) in [(ADMIN_PASSWORD, "ValidLogin"), ("nope", "InvalidLogin")] {
        let (_, body) = call(&server, &format!(r#"<checkLoginParam xmlns="{NS}"><email>{ADMIN}</email><password>{password}</password></checkLoginParam>"#)).await;
        assert_eq!(element(&body, "status"), Some(expected), "{body}");
    }
}

#[tokio::test]
async fn upload_replace_and_delete_over_http() {
    let limits = rendition::config::Limits {
        max_source_pixels: 500 * 500,
        ..rendition::config::Limits::default()
    };
    let server = support::start_with(limits).await;
    let company = company_handle(&server, "Demo").await;
    let response = put_image(&server, "Demo", "shoe", fixture("logo.png")).await;
    assert_eq!(response.status(), 201);
    let first: serde_json::Value = response.json().await.unwrap();
    let owner = first["assetHandle"].as_str().unwrap().to_owned();
    let (status, _) = create_derived(
        &server,
        &company,
        &owner,
        "shoe-view",
        "AdjustedView",
        "fmt=png",
    )
    .await;
    assert_eq!(status, 200);
    let before = server
        .app
        .catalog
        .asset_by_name(1, "shoe-view")
        .unwrap()
        .unwrap()
        .version;
    let (_, bytes) = get_image(&server, "/is/image/Demo/shoe-view").await;
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 200);

    // Replacing the owner bumps its version and every derived version.
    let response = put_image(&server, "Demo", "shoe", fixture("wide.png")).await;
    assert_eq!(response.status(), 200);
    let second: serde_json::Value = response.json().await.unwrap();
    assert!(second["version"].as_i64() > first["version"].as_i64());
    let after = server
        .app
        .catalog
        .asset_by_name(1, "shoe-view")
        .unwrap()
        .unwrap()
        .version;
    assert!(after > before);
    let (_, bytes) = get_image(&server, "/is/image/Demo/shoe-view").await;
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 480);

    // Bad bodies are refused and nothing is stored.
    let truncated = fixture("photo.jpg")[..4000].to_vec();
    for (body, status) in [
        (b"not an image".to_vec(), 400),
        (truncated, 400),
        (image_bytes(600, 600), 413),
    ] {
        let response = put_image(&server, "Demo", "bad", body).await;
        assert_eq!(response.status().as_u16(), status);
        let json: serde_json::Value = response.json().await.unwrap();
        assert!(json["error"].is_string(), "{json}");
    }
    assert!(
        server
            .app
            .catalog
            .asset_by_name(1, "bad")
            .unwrap()
            .is_none()
    );
    let response = reqwest::Client::new()
        .put(server.url("/api/v1/companies/Demo/images/x"))
        .body(fixture("logo.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let response = reqwest::Client::new()
        .delete(server.url("/api/v1/companies/Demo/images/shoe"))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(get_image(&server, "/is/image/Demo/shoe-view").await.0, 403);
}

fn image_bytes(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::new(width, height);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn wsdl_is_served_with_this_servers_address() {
    let server = support::start().await;
    let response = reqwest::get(server.url("/scene7/webservice/IpsApi-2013-02-15.wsdl"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains(&format!(
        "location=\"http://{}/scene7/services/IpsApiService\"",
        server.addr
    )));
    assert!(body.contains("createDerivedAssetParam"));
}
