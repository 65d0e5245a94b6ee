//! Pyramid levels: an uploaded JPEG keeps its 1/2, 1/4 and 1/8 levels,
//! reduced views render from them byte for byte as from the original, and
//! deleting the image removes them. A real server on `127.0.0.1:0` and a
//! real client.

mod support;

use rendition::app::App;
use rendition::render::Canvas;
use rendition::render::pyramid::{self, EIGHTHS};
use support::{ADMIN, ADMIN_PASSWORD, Server};

/// Reduced views of the 400x300 `photo` that take the shrink-on-load path,
/// one per kept scale (1/4, 1/2 and 1/8 of the original).
const VIEWS: [&str; 4] = [
    "wid=100&cache=off",
    "crop=40,20,300,200&wid=120&fmt=png&cache=off",
    "wid=50&fmt=png&cache=off",
    "hei=70&qlt=90&cache=off",
];

fn blob_of(server: &Server, name: &str) -> String {
    server
        .app
        .resolve("Demo", name)
        .unwrap()
        .blob
        .expect("an image has a blob")
}

fn fixture_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn suffix(eighths: u8) -> String {
    format!("l{eighths}")
}

async fn render(server: &Server, query: &str) -> Vec<u8> {
    let response = reqwest::get(server.url(&format!("/is/image/Demo/photo?{query}")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn reduced_views_render_from_levels_as_from_the_original() {
    let server = support::start().await;
    let blob = blob_of(&server, "photo");
    for eighths in EIGHTHS {
        assert!(server.app.blobs.has_companion(&blob, &suffix(eighths)));
    }
    let mut from_levels = Vec::new();
    for view in VIEWS {
        from_levels.push(render(&server, view).await);
    }

    // Levels that are not readable are ignored: the original is decoded,
    // and the replies are the same bytes.
    let real: Vec<(u8, Vec<u8>)> = EIGHTHS
        .iter()
        .map(|&e| (e, server.app.blobs.companion(&blob, &suffix(e)).unwrap()))
        .collect();
    for eighths in EIGHTHS {
        server
            .app
            .blobs
            .put_companion(&blob, &suffix(eighths), b"not a level")
            .unwrap();
    }
    for (view, expected) in VIEWS.iter().zip(&from_levels) {
        assert!(render(&server, view).await == *expected, "{view}");
    }

    // Levels of the right size are what reduced views are made from.
    for (eighths, bytes) in &real {
        let level = pyramid::decode_level(bytes, *eighths, (400, 300)).unwrap();
        let (w, h) = level.size();
        let red = Canvas::filled(w, h, [255, 0, 0, 255]);
        server
            .app
            .blobs
            .put_companion(
                &blob,
                &suffix(*eighths),
                &pyramid::encode_level(&red, *eighths),
            )
            .unwrap();
    }
    for view in VIEWS {
        let reply = image::load_from_memory(&render(&server, view).await)
            .unwrap()
            .to_rgb8();
        let (w, h) = reply.dimensions();
        let p = reply.get_pixel(w / 2, h / 2).0;
        assert!(p[0] > 230 && p[1] < 30 && p[2] < 30, "{view}: {p:?}");
    }
}

#[tokio::test]
async fn uploads_keep_levels_and_deletes_remove_them() {
    let server = support::start().await;
    let client = reqwest::Client::new();
    let jpeg = std::fs::read(fixture_path("tall.jpg")).unwrap();
    let response = client
        .put(server.url("/api/v1/companies/Demo/images/boot"))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .body(jpeg)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    // The same bytes as the Demo's `tall`: one blob, one set of levels.
    let blob = blob_of(&server, "boot");
    assert_eq!(blob, blob_of(&server, "tall"));
    for eighths in EIGHTHS {
        let bytes = server.app.blobs.companion(&blob, &suffix(eighths)).unwrap();
        let level = pyramid::decode_level(&bytes, eighths, (150, 400)).unwrap();
        let expected = (
            (150 * u32::from(eighths)).div_ceil(8),
            (400 * u32::from(eighths)).div_ceil(8),
        );
        assert_eq!(level.size(), expected);
    }
    for name in ["boot", "tall"] {
        let response = client
            .delete(server.url(&format!("/api/v1/companies/Demo/images/{name}")))
            .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        // The levels go with the blob, when no image uses it any more.
        let kept = name == "boot";
        for eighths in EIGHTHS {
            assert_eq!(
                server.app.blobs.has_companion(&blob, &suffix(eighths)),
                kept,
                "after deleting {name}"
            );
        }
    }
    // PNGs have no DCT to scale and get no levels.
    let logo = blob_of(&server, "logo");
    assert!(!server.app.blobs.has_companion(&logo, &suffix(4)));
}

#[test]
fn with_the_pyramid_off_no_levels_are_kept_until_asked_for() {
    let data = std::env::temp_dir().join(format!("rendition-no-pyramid-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut app = App::open(&data, rendition::config::Limits::default()).unwrap();
    app.pyramid = false;
    let company = app.catalog.add_company("Shop").unwrap();
    let root = app
        .catalog
        .folder(company.id, &company.root_path)
        .unwrap()
        .unwrap();
    let jpeg = std::fs::read(fixture_path("photo.jpg")).unwrap();
    let stored = app
        .store_image(&company, &root, "photo", &jpeg, "photo.jpg", "test")
        .unwrap();
    let blob = app.resolve("Shop", "photo").unwrap().blob.unwrap();
    assert!(stored.asset.id > 0);
    for eighths in EIGHTHS {
        assert!(!app.blobs.has_companion(&blob, &suffix(eighths)));
    }

    // `rendition pyramid` makes the missing levels later, once.
    assert_eq!(app.blobs.addresses().unwrap(), vec![blob.clone()]);
    assert_eq!(app.ensure_levels(&blob, &jpeg), EIGHTHS.len());
    assert_eq!(app.ensure_levels(&blob, &jpeg), 0);
    // A level of the other build's decoder is made again.
    let mut level = app.blobs.companion(&blob, &suffix(2)).unwrap();
    level[8] ^= 3;
    app.blobs.put_companion(&blob, &suffix(2), &level).unwrap();
    assert_eq!(app.ensure_levels(&blob, &jpeg), EIGHTHS.len());
    let level = app.blobs.companion(&blob, &suffix(2)).unwrap();
    assert!(pyramid::made_by_this_build(&level));
    // Renders read kept levels only while the pyramid is on.
    let resolved = app.resolve("Shop", "photo").unwrap();
    let original = app.load(&resolved).unwrap().unwrap();
    assert!(original.level(2, (400, 300)).is_none());
    app.pyramid = true;
    let original = app.load(&resolved).unwrap().unwrap();
    assert_eq!(original.level(2, (400, 300)).unwrap().size(), (100, 75));
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test]
async fn levels_obey_a_source_limit_lowered_after_upload() {
    let data = std::env::temp_dir().join(format!("rendition-pyramid-limit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let app = App::open(&data, rendition::config::Limits::default()).unwrap();
    app.seed_demo(&rendition::config::ServeConfig::default().fixtures_dir)
        .unwrap();
    drop(app);
    // The 400x300 `photo` was stored with its levels; the limit is now lower.
    let limits = rendition::config::Limits {
        max_source_pixels: 400 * 300 - 1,
        ..rendition::config::Limits::default()
    };
    let app = std::sync::Arc::new(App::open(&data, limits).unwrap());
    let (addr, _) = support::serve(app, rendition::serve::Settings::default()).await;
    // A crop keeps the composite under the limit, so only the source check
    // stands between this request and the stored level.
    let url = format!("http://{addr}/is/image/Demo/photo?crop=0,0,200,150&wid=50&cache=off");
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 403);
    let text = response.text().await.unwrap();
    assert!(text.contains("exceeds the limit"), "{text}");
    let _ = std::fs::remove_dir_all(&data);
}
