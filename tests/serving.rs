//! Serving behind a CDN: HTTP caching, the render cache and its
//! invalidation, single-flight, overload, `req=` types, HEAD. A real server
//! on `127.0.0.1:0` and a real client.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::StatusCode;
use support::{ADMIN, ADMIN_PASSWORD, Server};

const NS: &str = "http://www.scene7.com/IpsApi/xsd/2013-02-15";

async fn get(server: &Server, path: &str) -> reqwest::Response {
    reqwest::get(server.url(path)).await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn soap(server: &Server, body: &str) -> String {
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
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

fn renders(server: &Server) -> usize {
    server.state.service().renders.load(Ordering::SeqCst)
}

#[tokio::test]
async fn etag_and_last_modified_give_304() {
    let server = support::start().await;
    let first = get(&server, "/is/image/Demo/photo?wid=120").await;
    assert_eq!(first.status(), 200);
    let etag = header(&first, "etag");
    assert_eq!(etag.len(), 34, "{etag}");
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    assert_eq!(header(&first, "cache-control"), "public, max-age=36000");
    assert!(!header(&first, "expires").is_empty());
    let last_modified = header(&first, "last-modified");
    assert!(last_modified.ends_with("GMT"), "{last_modified}");

    let client = reqwest::Client::new();
    let again = client
        .get(server.url("/is/image/Demo/photo?wid=120"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "etag"), etag);
    assert!(again.bytes().await.unwrap().is_empty());
    let again = client
        .get(server.url("/is/image/Demo/photo?wid=120"))
        .header("If-Modified-Since", &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let other = client
        .get(server.url("/is/image/Demo/photo?wid=120"))
        .header("If-None-Match", "\"nope\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    // cache=off: no client caching.
    let off = get(&server, "/is/image/Demo/photo?wid=120&cache=off").await;
    assert_eq!(header(&off, "cache-control"), "no-store");
    // Errors are never cached.
    let error = get(&server, "/is/image/Demo/photo?wid=abc").await;
    assert_eq!(error.status(), 403);
    assert_eq!(header(&error, "cache-control"), "no-store");
}

#[tokio::test]
async fn a_second_request_is_a_cache_hit() {
    let server = support::start().await;
    let before = renders(&server);
    let a = get(&server, "/is/image/Demo/photo?wid=150&fmt=png").await;
    let a = a.bytes().await.unwrap();
    let b = get(&server, "/is/image/Demo/photo?wid=150&fmt=png").await;
    let b = b.bytes().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(renders(&server) - before, 1);
    // The same request written differently is the same entry.
    let c = get(&server, "/is/image/Demo/photo?fmt=png&WID=150&.cachebust=1").await;
    assert_eq!(c.bytes().await.unwrap(), a);
    assert_eq!(renders(&server) - before, 1);
    // cache=update renders again.
    get(&server, "/is/image/Demo/photo?wid=150&fmt=png&cache=update").await;
    assert_eq!(renders(&server) - before, 2);
    assert!(server.state.service().cache.stats().entries >= 1);
}

#[tokio::test]
async fn identical_concurrent_requests_render_once() {
    let server = support::start().await;
    let before = renders(&server);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let url = server.url("/is/image/Demo/photo?wid=377&op_blur=20&fmt=png");
        tasks.push(tokio::spawn(async move {
            let r = reqwest::get(url).await.unwrap();
            (r.status(), r.bytes().await.unwrap())
        }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 200);
        bodies.push(body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(renders(&server) - before, 1);
}

#[tokio::test]
async fn catalog_writes_invalidate_dependent_renders() {
    let server = support::start().await;
    let view = "/is/image/Demo/photo-crop?fmt=png";
    let first = get(&server, view).await.bytes().await.unwrap();
    assert_eq!(get(&server, view).await.bytes().await.unwrap(), first);

    // Replacing the owner changes the derived view on the next request.
    let response = reqwest::Client::new()
        .put(server.url("/api/v1/companies/Demo/images/photo"))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .body(
            std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tall.jpg"),
            )
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let replaced = get(&server, view).await.bytes().await.unwrap();
    assert_ne!(replaced, first);

    // setUrlModifier changes it again.
    let company = element(
        &soap(&server, &format!(r#"<getCompanyInfoParam xmlns="{NS}"><companyName>Demo</companyName></getCompanyInfoParam>"#)).await,
        "companyHandle",
    )
    .unwrap()
    .to_owned();
    let handle = element(
        &soap(&server, &format!(r#"<getAssetsByNameParam xmlns="{NS}"><companyHandle>{company}</companyHandle><nameArray><items>photo-crop</items></nameArray></getAssetsByNameParam>"#)).await,
        "assetHandle",
    )
    .unwrap()
    .to_owned();
    soap(&server, &format!(r#"<setUrlModifierParam xmlns="{NS}"><companyHandle>{company}</companyHandle><assetHandle>{handle}</assetHandle><urlModifier>crop=0,0,50,50</urlModifier></setUrlModifierParam>"#)).await;
    let modified = get(&server, view).await;
    let modified = image::load_from_memory(&modified.bytes().await.unwrap()).unwrap();
    assert_eq!((modified.width(), modified.height()), (50, 50));

    // A layer's src= record is a dependency too.
    let layered = "/is/image/Demo/photo?layer=1&src=logo&fmt=png";
    let with_logo = get(&server, layered).await.bytes().await.unwrap();
    let response = reqwest::Client::new()
        .delete(server.url("/api/v1/companies/Demo/images/logo"))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let gone = get(&server, layered).await;
    assert_eq!(gone.status(), 403, "{with_logo:?}");

    // Deleting the owner: its views are gone, never stale.
    let photo = element(
        &soap(&server, &format!(r#"<getAssetsByNameParam xmlns="{NS}"><companyHandle>{company}</companyHandle><nameArray><items>photo</items></nameArray></getAssetsByNameParam>"#)).await,
        "assetHandle",
    )
    .unwrap()
    .to_owned();
    soap(&server, &format!(r#"<deleteAssetParam xmlns="{NS}"><companyHandle>{company}</companyHandle><assetHandle>{photo}</assetHandle></deleteAssetParam>"#)).await;
    assert_eq!(get(&server, view).await.status(), 403);
}

#[tokio::test]
async fn a_full_queue_answers_503_quickly() {
    let settings = rendition::serve::Settings {
        workers: 1,
        queue: 0,
        ..rendition::serve::Settings::default()
    };
    let server = support::start_full(rendition::config::Limits::default(), settings).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        // Distinct, slow renders.
        let url = server.url(&format!(
            "/is/image/Demo/photo?wid={}&hei=2400&fit=stretch&op_blur=60&fmt=png",
            2400 + i
        ));
        tasks.push(tokio::spawn(async move {
            let started = std::time::Instant::now();
            let r = reqwest::get(url).await.unwrap();
            (
                r.status(),
                r.headers().get("retry-after").is_some(),
                started.elapsed(),
            )
        }));
    }
    let mut unavailable = 0;
    for t in tasks {
        let (status, retry_after, elapsed) = t.await.unwrap();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            unavailable += 1;
            assert!(retry_after);
            assert!(elapsed < Duration::from_secs(5));
        } else {
            assert_eq!(status, 200);
        }
    }
    assert!(unavailable >= 1, "no request was refused");
}

#[tokio::test]
async fn req_types_and_encodings() {
    let server = support::start().await;
    let text = |path: &'static str| {
        let server = &server;
        async move {
            let r = get(server, path).await;
            let status = r.status();
            let mime = header(&r, "content-type");
            (status, mime, r.text().await.unwrap())
        }
    };
    let (status, mime, body) = text("/is/image/Demo/photo?req=props&wid=200").await;
    assert_eq!(
        (status.as_u16(), mime.as_str()),
        (200, "text/plain; charset=utf-8")
    );
    assert!(body.starts_with("#S7Z OK\n#"), "{body}");
    assert!(
        body.contains("image.width=200\n") && body.contains("image.height=150\n"),
        "{body}"
    );
    assert!(body.contains("image.type=image/jpeg\n"), "{body}");

    let (_, mime, body) = text("/is/image/Demo/photo?req=imageprops,xml").await;
    assert_eq!(mime, "text/xml; charset=utf-8");
    assert!(body.contains(r#"<prop-group name="image">"#), "{body}");
    assert!(
        body.contains(r#"<property name="width" value="400"/>"#),
        "{body}"
    );

    let (_, mime, body) =
        text("/is/image/Demo/photo-crop?req=imageprops,json&handler=cb&id=9").await;
    assert_eq!(mime, "text/javascript; charset=utf-8");
    assert!(body.starts_with("/*jsonp*/cb({"), "{body}");
    assert!(
        body.contains(r#""image.modifier":"crop=40,20,200,150""#),
        "{body}"
    );
    assert!(body.ends_with(",\"9\");\n"), "{body}");

    let (_, _, body) = text("/is/image/Demo/photo?req=exists,javascript").await;
    assert_eq!(body, "catalogRecord.exists='1';\n");
    let (status, _, body) = text("/is/image/Demo/nope?req=exists").await;
    assert_eq!(status, 200);
    assert!(body.ends_with("catalogRecord.exists=0\n"), "{body}");

    let (_, mime, body) = text("/is/image/Demo/photo-crop?wid=100&req=resolve").await;
    assert_eq!(mime, "text/plain; charset=utf-8");
    assert_eq!(body, "crop=40,20,200,150&wid=100&req=resolve");

    let (_, _, body) =
        text("/is/image/Demo/photo?req=validate&wid=100&layer=1&text=$undefined$").await;
    assert!(body.contains("request.isValid=1"), "{body}");
    let (status, _, _) = text("/is/image/Demo/photo?req=validate&wid=abc").await;
    assert_eq!(status, 403);

    let (_, _, body) = text("/is/image?req=catalogprops").await;
    assert!(body.contains("catalog.maxPix=3000,3000"), "{body}");

    // req=mask: the alpha channel as gray.
    let r = get(&server, "/is/image/Demo/logo?req=mask&fmt=png").await;
    assert_eq!(r.status(), 200);
    let mask = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert!(
        matches!(mask.color(), image::ColorType::L8),
        "{:?}",
        mask.color()
    );
    let mask = mask.to_luma8();
    assert_eq!(mask.get_pixel(0, 0).0[0], 0);
    assert_eq!(mask.get_pixel(100, 100).0[0], 255);

    // req=tmb: a thumbnail of DefaultThumbPix (100x100).
    let r = get(&server, "/is/image/Demo/photo?req=tmb&fmt=png").await;
    let tmb = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert_eq!((tmb.width(), tmb.height()), (100, 100));

    let (status, _, body) = text("/is/image/Demo/photo?req=userdata").await;
    assert_eq!(status, 403);
    assert!(body.contains("req=userdata is not supported"), "{body}");
}

#[tokio::test]
async fn head_has_headers_and_no_body_and_default_images_stand_in() {
    let server = support::start().await;
    let r = reqwest::Client::new()
        .head(server.url("/is/image/Demo/photo?wid=90"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "image/jpeg");
    assert!(!header(&r, "etag").is_empty());
    assert!(r.bytes().await.unwrap().is_empty());

    // A missing image with defaultImage= gets that image, with only
    // wid/hei/fmt/qlt kept and a short TTL (§5.3).
    let r = get(
        &server,
        "/is/image/Demo/missing?wid=80&op_invert=1&fmt=png&defaultImage=logo",
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "public, max-age=3600");
    let img = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(img.width(), 80);
    let r = get(&server, "/is/image/Demo/missing?defaultImage=").await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn cache_hits_show_in_metrics() {
    let server = support::start().await;
    for _ in 0..3 {
        let r = get(&server, "/is/image/Demo/gray?wid=64&fmt=png").await;
        assert_eq!(r.status(), 200);
    }
    let text = get(&server, "/metrics").await.text().await.unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1.0)
    };
    assert_eq!(value("rendition_cache_misses_total"), 1.0, "{text}");
    assert_eq!(value("rendition_cache_hits_total"), 2.0, "{text}");
    assert!(value("rendition_cache_bytes") > 0.0, "{text}");
}

#[tokio::test]
async fn views_of_one_owner_decode_it_once() {
    let server = support::start().await;
    let decodes = || {
        server
            .state
            .service()
            .decoded
            .decodes
            .load(Ordering::SeqCst)
    };
    let before = decodes();
    for path in [
        "/is/image/Demo/photo?wid=100",
        "/is/image/Demo/photo-crop",
        "/is/image/Demo/photo?wid=233&fmt=png",
    ] {
        assert_eq!(get(&server, path).await.status(), 200);
    }
    assert_eq!(decodes() - before, 1);
}

#[tokio::test]
async fn rendition_suffixes_fall_back_to_their_image() {
    let server = support::start().await;
    let r = get(
        &server,
        "/is/image/Demo/photo:product-header-desktop?wid=50&fmt=png",
    )
    .await;
    assert_eq!(r.status(), 200);
    let img = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(img.width(), 50);
    assert_eq!(get(&server, "/is/image/Demo/nope:x").await.status(), 403);
}
