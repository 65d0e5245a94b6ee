//! Unit tests of the planner's API and invariants; the expectation tables
//! live in `tests/data/plan/`.

use proptest::prelude::*;
use proptest::sample::select;

use super::*;
use crate::config::Limits;
use crate::protocol::parse_query;

fn plan_for(input: &PlanInput, query: &str) -> Result<Plan, PlanError> {
    let parsed = parse_query(query);
    assert!(!parsed.has_errors(), "{query}: {}", parsed.diagnostics);
    plan(&parsed.request, input)
}

#[test]
fn too_large_names_the_reply_and_the_limit() {
    let error = plan_for(&PlanInput::new(6000, 4000), "scl=1").unwrap_err();
    assert_eq!(
        error.to_string(),
        "reply 6000x4000 exceeds MaxPix 3000x3000"
    );
}

#[test]
fn attributes_take_their_limits_from_config() {
    let limits = Limits {
        max_pix: (1000, 800),
        default_pix: (500, 0),
        max_source_pixels: 1234,
        ..Limits::default()
    };
    let attrs = CatalogAttributes::from_limits(&limits);
    assert_eq!(attrs.max_pix, (1000, 800));
    assert_eq!(attrs.default_pix, (500, 0));
    assert_eq!(attrs.max_canvas_pixels, 1234);
    assert_eq!(
        CatalogAttributes::default().max_pix,
        Limits::default().max_pix
    );
}

#[test]
fn an_empty_source_is_refused() {
    let error = plan_for(&PlanInput::new(0, 10), "").unwrap_err();
    assert_eq!(
        error,
        PlanError::EmptySource {
            width: 0,
            height: 10
        }
    );
}

#[test]
fn perspective_and_text_on_layer_0_are_not_planned_yet() {
    let input = PlanInput::new(400, 300);
    let error = plan_for(&input, "perspective=0,0,1,0,1,1,0,1").unwrap_err();
    assert_eq!(
        error.to_string(),
        "perspective= on layer 0 is not supported yet"
    );
    let error = plan_for(&input, "text=hello").unwrap_err();
    assert_eq!(error, PlanError::Unsupported { command: "text" });
}

#[test]
fn the_reply_transform_goes_through_the_tile() {
    let plan = plan_for(&PlanInput::new(400, 300), "wid=200&rect=50,25,100,100,2").unwrap();
    // View: the composite at half size; the tile: that view doubled, from 50,25.
    let t = plan.reply_transform();
    assert_eq!(t.apply((0.0, 0.0)), (-50.0, -25.0));
    assert_eq!(t.apply((400.0, 300.0)), (350.0, 275.0));
    assert_eq!(plan.reply_size(), (100, 100));
}

#[test]
fn the_view_transform_maps_the_region_onto_the_image() {
    let plan = plan_for(&PlanInput::new(400, 300), "rgn=100,50,200,100&wid=100").unwrap();
    let t = plan.view.transform();
    assert_eq!(t.apply((100.0, 50.0)), (0.0, 0.0));
    assert_eq!(t.apply((300.0, 150.0)), (100.0, 50.0));
    assert_eq!(plan.view.scale(), (0.5, 0.5));
}

#[test]
fn fill_is_bgc_made_opaque_else_the_attribute() {
    let mut input = PlanInput::new(400, 300);
    input.attributes.bkg_color = [1, 2, 3, 4];
    input.attributes.thumb_bkg_color = [5, 6, 7, 8];
    assert_eq!(plan_for(&input, "").unwrap().view.fill, [1, 2, 3, 4]);
    assert_eq!(plan_for(&input, "req=tmb").unwrap().view.fill, [5, 6, 7, 8]);
    let plan = plan_for(&input, "bgc=0,128,255,10").unwrap();
    assert_eq!(plan.view.fill, [0, 128, 255, 255]);
}

#[test]
fn rect_intersection() {
    let a = PixelRect::new(-50, -50, 100, 100);
    assert_eq!(
        a.intersect(&PixelRect::sized((400, 300))),
        Some(PixelRect::new(0, 0, 50, 50))
    );
    assert_eq!(a.intersect(&PixelRect::new(50, 0, 10, 10)), None);
}

/// One random command with a value in and around its valid range.
fn command() -> BoxedStrategy<String> {
    let int = |lo: i64, hi: i64| lo..=hi;
    let real = |lo: f64, hi: f64| lo..=hi;
    prop_oneof![
        int(1, 5000).prop_map(|v| format!("wid={v}")),
        int(1, 5000).prop_map(|v| format!("hei={v}")),
        real(0.001, 20.0).prop_map(|v| format!("scl={v:.3}")),
        (
            select(
                &[
                    "fit",
                    "constrain",
                    "crop",
                    "wrap",
                    "stretch",
                    "hfit",
                    "vfit"
                ][..]
            ),
            select(&["", ",0", ",1"][..])
        )
            .prop_map(|(m, u)| format!("fit={m}{u}")),
        (real(-1.0, 1.0), real(-1.0, 1.0)).prop_map(|(x, y)| format!("align={x:.2},{y:.2}")),
        (
            int(-3000, 3000),
            int(-3000, 3000),
            int(1, 5000),
            int(1, 5000)
        )
            .prop_map(|(x, y, w, h)| format!("rgn={x},{y},{w},{h}")),
        (
            int(-3000, 3000),
            int(-3000, 3000),
            int(1, 5000),
            int(1, 5000),
            real(0.01, 10.0)
        )
            .prop_map(|(x, y, w, h, s)| format!("rect={x},{y},{w},{h},{s:.2}")),
        real(0.01, 8.0).prop_map(|v| format!("dpr=on,{v:.2}")),
        (
            int(-3000, 3000),
            int(-3000, 3000),
            int(1, 5000),
            int(1, 5000)
        )
            .prop_map(|(x, y, w, h)| format!("crop={x},{y},{w},{h}")),
        (
            real(-2.0, 2.0),
            real(-2.0, 2.0),
            real(0.0001, 4.0),
            real(0.0001, 4.0)
        )
            .prop_map(|(x, y, w, h)| format!("cropN={x:.4},{y:.4},{w:.4},{h:.4}")),
        (int(0, 5000), int(0, 5000)).prop_map(|(w, h)| format!("size={w},{h}")),
        real(0.0001, 50.0).prop_map(|v| format!("scale={v:.4}")),
        real(0.01, 3000.0).prop_map(|v| format!("res={v:.2}")),
        real(-720.0, 720.0).prop_map(|v| format!("rotate={v:.3}")),
        (
            int(-3000, 3000),
            int(-3000, 3000),
            int(-3000, 3000),
            int(-3000, 3000)
        )
            .prop_map(|(l, t, r, b)| format!("extend={l},{t},{r},{b}")),
        (
            real(-2.0, 2.0),
            real(-2.0, 2.0),
            real(-2.0, 2.0),
            real(-2.0, 2.0)
        )
            .prop_map(|(l, t, r, b)| format!("extendN={l:.3},{t:.3},{r:.3},{b:.3}")),
        select(&["flip=lr", "layer=0&flip=ud", "req=tmb", "dpr=on", "dpr=off"][..])
            .prop_map(str::to_owned),
        (int(-5000, 5000), int(-5000, 5000)).prop_map(|(x, y)| format!("anchor={x},{y}")),
        (real(-1.0, 1.0), real(-1.0, 1.0)).prop_map(|(x, y)| format!("originN={x:.2},{y:.2}")),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any request plans without panicking, and an accepted plan keeps its
    /// promises: the reply is within MaxPix and every size is at least 1.
    #[test]
    fn planning_never_panics_and_keeps_the_limits(
        source in (1u32..=8000, 1u32..=8000),
        commands in proptest::collection::vec(command(), 0..8),
        nested in any::<bool>(),
        max_pix in select(&[(3000u32, 3000u32), (0, 0), (500, 0)][..]),
    ) {
        let query = commands.join("&");
        let parsed = parse_query(&query);
        prop_assume!(!parsed.has_errors());
        let mut input = PlanInput::new(source.0, source.1);
        input.nested = nested;
        input.attributes.max_pix = max_pix;
        input.client_dpr = Some(2.0);
        if let Ok(plan) = plan(&parsed.request, &input) {
            let (w, h) = plan.reply_size();
            prop_assert!(w >= 1 && h >= 1);
            if !nested {
                prop_assert!(max_pix.0 == 0 || w <= max_pix.0, "{query}: {w}x{h}");
                prop_assert!(max_pix.1 == 0 || h <= max_pix.1, "{query}: {w}x{h}");
            }
            prop_assert!(u64::from(w) * u64::from(h) <= input.attributes.max_canvas_pixels);
            let (cw, ch) = plan.canvas();
            prop_assert!(u64::from(cw) * u64::from(ch) <= input.attributes.max_canvas_pixels);
            prop_assert!(plan.view.image.w >= 1 && plan.view.image.h >= 1);
            let _ = plan.to_string();
        }
    }
}
