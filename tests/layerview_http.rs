//! A LayerView registered through IPS and fetched over HTTP renders like its
//! golden case: a photo, a logo layer and a "SALE −30%" text layer with a
//! drop shadow (issue 5's done-when).

mod support;

use support::{ADMIN, ADMIN_PASSWORD};

const NS: &str = "http://www.scene7.com/IpsApi/xsd/2013-02-15";

/// The golden case `layerview-sale` without its `fmt=png`, XML-escaped.
const MODIFIER: &str = "layer=1&amp;src=logo&amp;size=90,90&amp;posN=0.35,-0.3&amp;layer=2&amp;text={\\rtf1\\ansi\\fs56\\b{\\colortbl;\\red255\\green255\\blue255;}\\cf1+SALE+\\u8722?30%25}&amp;posN=0,0.28&amp;effect=-1&amp;$shadow$";

fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

async fn call(server: &support::Server, body: &str) -> String {
    let envelope = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    );
    let response = reqwest::Client::new()
        .post(server.url("/scene7/services/IpsApiService"))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .body(envelope)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    text
}

#[tokio::test]
async fn layerview_from_ips_renders_as_its_golden_case() {
    let server = support::start().await;
    let company = element(
        &call(
            &server,
            &format!(r#"<getCompanyInfoParam xmlns="{NS}"><companyName>Demo</companyName></getCompanyInfoParam>"#),
        )
        .await,
        "companyHandle",
    )
    .unwrap()
    .to_owned();
    let owner = element(
        &call(
            &server,
            &format!(r#"<getAssetsByNameParam xmlns="{NS}"><companyHandle>{company}</companyHandle><nameArray><items>photo</items></nameArray></getAssetsByNameParam>"#),
        )
        .await,
        "assetHandle",
    )
    .unwrap()
    .to_owned();
    let created = call(
        &server,
        &format!(r#"<createDerivedAssetParam xmlns="{NS}"><companyHandle>{company}</companyHandle><ownerHandle>{owner}</ownerHandle><folderHandle>Demo/</folderHandle><name>sale-view</name><type>LayerView</type><urlModifier>{MODIFIER}</urlModifier></createDerivedAssetParam>"#),
    )
    .await;
    assert!(element(&created, "assetHandle").is_some(), "{created}");

    let response = reqwest::get(server.url("/is/image/Demo/sale-view?fmt=png"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let actual = image::load_from_memory(&response.bytes().await.unwrap())
        .unwrap()
        .to_rgba8();
    let expected = image::open(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/golden/expected/layerview-sale.png"),
    )
    .unwrap()
    .to_rgba8();
    assert_eq!(actual.dimensions(), expected.dimensions());
    let total: u64 = actual
        .as_raw()
        .iter()
        .zip(expected.as_raw())
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    let mean = total as f64 / actual.as_raw().len() as f64;
    assert!(mean <= 1.5, "mean difference {mean}");

    // A layer naming a missing object is a 403 that names it.
    let response = reqwest::get(server.url("/is/image/Demo/photo?layer=1&src=nope"))
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(response.text().await.unwrap(), "Image not found: nope");
}
