//! End-to-end: the router on a real socket answers the first image requests.

mod support;

use std::net::SocketAddr;

async fn start() -> SocketAddr {
    let server = support::start().await;
    let addr = server.addr;
    // The data directory lives as long as the test process.
    std::mem::forget(server);
    addr
}

async fn get(addr: SocketAddr, path: &str) -> reqwest::Response {
    reqwest::get(format!("http://{addr}{path}")).await.unwrap()
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn photo_as_png_at_width_200() {
    let addr = start().await;
    let response = get(addr, "/is/image/Demo/photo?wid=200&fmt=png").await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "image/png");
    let body = response.bytes().await.unwrap();
    let img = image::load_from_memory_with_format(&body, image::ImageFormat::Png).unwrap();
    assert_eq!((img.width(), img.height()), (200, 150));
}

#[tokio::test]
async fn framed_jpeg_is_exactly_the_requested_size() {
    let addr = start().await;
    let response = get(addr, "/is/image/Demo/photo?fmt=jpeg&wid=100&hei=100").await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "image/jpeg");
    let body = response.bytes().await.unwrap();
    let img = image::load_from_memory_with_format(&body, image::ImageFormat::Jpeg).unwrap();
    assert_eq!((img.width(), img.height()), (100, 100));
}

#[tokio::test]
async fn bad_value_is_403_naming_the_value() {
    let addr = start().await;
    let response = get(addr, "/is/image/Demo/photo?wid=abc").await;
    assert_eq!(response.status(), 403);
    assert_eq!(content_type(&response), "text/plain; charset=utf-8");
    assert_eq!(
        response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .unwrap(),
        "no-store"
    );
    let text = response.text().await.unwrap();
    // The message shows the query with carets under `abc`.
    assert_eq!(
        text.trim_end(),
        "error: wid: expected an integer > 0, found `abc`\n  request: wid=abc\n               ^^^"
    );
}

#[tokio::test]
async fn commands_not_rendered_yet_are_403_naming_them() {
    let addr = start().await;
    let response = get(addr, "/is/image/Demo/photo?wid=100&icc=sRGB").await;
    assert_eq!(response.status(), 403);
    let text = response.text().await.unwrap();
    assert_eq!(text, "icc=sRGB is not supported by this server yet");
    let response = get(
        addr,
        "/is/image/Demo/photo?layer=1&src=(http://example.com/a.jpg)",
    )
    .await;
    assert_eq!(response.status(), 403);
    let text = response.text().await.unwrap();
    assert_eq!(text, "foreign URLs are not supported by this server");
}

#[tokio::test]
async fn unknown_images_and_companies_are_403() {
    let addr = start().await;
    for path in [
        "/is/image/Demo/nope",
        "/is/image/Demo/README.md",
        "/is/image/Demo/..%2Fsrc%2Fmain.rs",
        "/is/image/Demo/sub/photo",
        "/is/image/Other/photo",
        "/is/image/photo",
    ] {
        let response = get(addr, path).await;
        assert_eq!(response.status(), 403, "{path}");
        let text = response.text().await.unwrap();
        assert!(text.starts_with("Image not found: "), "{path}: {text}");
    }
    let text = get(addr, "/is/image/Demo/nope").await.text().await.unwrap();
    assert_eq!(text, "Image not found: Demo/nope");
}

#[tokio::test]
async fn too_large_is_403() {
    let addr = start().await;
    let response = get(addr, "/is/image/Demo/photo?wid=4000").await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn banner_and_health() {
    let addr = start().await;
    let response = get(addr, "/is/image").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "#S7Z OK");
    assert!(
        lines[1].starts_with('#') && lines[1].contains("UTC"),
        "{text}"
    );
    assert!(lines[2].starts_with("copyright="), "{text}");

    let response = get(addr, "/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let addr = start().await;
    let response = reqwest::Client::new()
        .head(format!(
            "http://{addr}/is/image/Demo/logo?wid=50&fmt=png-alpha"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "image/png");
    assert!(response.bytes().await.unwrap().is_empty());
}
