//! Compositing primitives (issue 5): blend modes, opacity, dissolve,
//! clipping, masks, clip paths and layer effects, against hand-computed
//! pixels.

use rendition::protocol::ast::{BlendMode, MaskUse, Noise, Path};
use rendition::render::Canvas;
use rendition::render::composite::{
    EffectSpec, GLOW_MACRO, SHADOW_MACRO, apply_mask, apply_mask_use, clip_path, draw_layer,
    draw_with_effects, fill_path, path_bounds, path_pixel_rect, render_effect,
};

fn px(c: &Canvas, x: u32, y: u32) -> [u8; 4] {
    c.pixel(x, y).unwrap()
}

fn one(rgba: [u8; 4]) -> Canvas {
    Canvas::filled(1, 1, rgba)
}

/// Draws a 1×1 source over a 1×1 backdrop.
fn blend(src: [u8; 4], dst: [u8; 4], opacity: f64, mode: BlendMode) -> [u8; 4] {
    let mut d = one(dst);
    draw_layer(&mut d, &one(src), (0, 0), opacity, mode, 7);
    px(&d, 0, 0)
}

fn path(text: &str) -> Path {
    rendition::protocol::parser::path(text).unwrap()
}

fn alpha(c: &Canvas, x: u32, y: u32) -> u8 {
    px(c, x, y)[3]
}

// ---------------------------------------------------------------- blending

const S: [u8; 4] = [200, 100, 50, 255];
const B: [u8; 4] = [100, 200, 250, 255];

#[test]
fn opaque_over_opaque_per_mode() {
    // norm: the source replaces the backdrop.
    assert_eq!(blend(S, B, 1.0, BlendMode::Norm), [200, 100, 50, 255]);
    // mult: cs·cb/255 = 78.43, 78.43, 49.02.
    assert_eq!(blend(S, B, 1.0, BlendMode::Mult), [78, 78, 49, 255]);
    // screen: cs + cb − cs·cb/255 = 221.57, 221.57, 250.98.
    assert_eq!(blend(S, B, 1.0, BlendMode::Screen), [222, 222, 251, 255]);
    // darken / lighten: per channel min / max.
    assert_eq!(blend(S, B, 1.0, BlendMode::Darken), [100, 100, 50, 255]);
    assert_eq!(blend(S, B, 1.0, BlendMode::Lighten), [200, 200, 250, 255]);
    // dissolve at alpha 1 always draws.
    assert_eq!(blend(S, B, 1.0, BlendMode::Dissolve), [200, 100, 50, 255]);
}

#[test]
fn semi_transparent_over_transparent_is_the_plain_source_in_every_mode() {
    let src = [200, 100, 50, 128];
    for mode in [
        BlendMode::Norm,
        BlendMode::Mult,
        BlendMode::Screen,
        BlendMode::Darken,
        BlendMode::Lighten,
    ] {
        assert_eq!(blend(src, [0, 0, 0, 0], 1.0, mode), src, "{mode:?}");
        // Opacity 0.5 on alpha 102: 51.
        assert_eq!(
            blend([200, 100, 50, 102], [9, 9, 9, 0], 0.5, mode),
            [200, 100, 50, 51],
            "{mode:?}"
        );
    }
}

#[test]
fn semi_transparent_over_opaque_and_over_semi() {
    // αs = 128/255 = 0.50196: red 255·αs = 128, blue 255·(1 − αs) = 127.
    assert_eq!(
        blend([255, 0, 0, 128], [0, 0, 255, 255], 1.0, BlendMode::Norm),
        [128, 0, 127, 255]
    );
    // Over a semi backdrop: αo = αs + αb(1 − αs) = 0.75196 → 192;
    // r = 255·αs/αo = 170.2, b = 255·αb(1 − αs)/αo = 84.8.
    assert_eq!(
        blend([255, 0, 0, 128], [0, 0, 255, 128], 1.0, BlendMode::Norm),
        [170, 0, 85, 192]
    );
    // mult at αs = 0.50196 over opaque: αs·B + (1 − αs)·cb
    // r: 0.50196·78.43 + 0.49804·100 = 89.17; g: 39.37 + 99.61 = 138.98;
    // b: 0.50196·49.02 + 0.49804·250 = 149.11.
    assert_eq!(
        blend([200, 100, 50, 128], B, 1.0, BlendMode::Mult),
        [89, 139, 149, 255]
    );
    // screen with opacity 0.5 (αs = 0.5) over a half-transparent backdrop
    // (αb = 0.50196): Cs' = (1 − αb)·cs + αb·screen; αo = 0.75098 → 191.
    // r: Cs' = 0.49804·200 + 0.50196·221.57 = 210.83;
    //    co = (0.5·210.83 + 0.50196·0.5·100) / 0.75098 = 173.79;
    // g: Cs' = 0.49804·100 + 0.50196·221.57 = 161.02;
    //    co = (0.5·161.02 + 0.50196·0.5·200) / 0.75098 = 174.05;
    // b: Cs' = 0.49804·50 + 0.50196·250.98 = 150.88;
    //    co = (0.5·150.88 + 0.50196·0.5·250) / 0.75098 = 184.0.
    assert_eq!(
        blend(
            [200, 100, 50, 255],
            [100, 200, 250, 128],
            0.5,
            BlendMode::Screen
        )[..3],
        [174, 174, 184]
    );
}

#[test]
fn opacity_zero_draws_nothing() {
    for mode in BlendMode::ALL {
        assert_eq!(blend(S, B, 0.0, *mode), B, "{mode:?}");
        assert_eq!(blend(S, [0, 0, 0, 0], 0.0, *mode), [0, 0, 0, 0]);
        assert_eq!(blend(S, B, f64::NAN, *mode), B);
        assert_eq!(blend([1, 2, 3, 0], B, 1.0, *mode), B);
    }
}

#[test]
fn dissolve_is_deterministic_and_draws_about_opacity_of_the_pixels() {
    let layer = Canvas::filled(200, 200, [255, 0, 0, 255]);
    let run = |seed: u64, opacity: f64| {
        let mut d = Canvas::filled(200, 200, [0, 0, 255, 255]);
        draw_layer(&mut d, &layer, (0, 0), opacity, BlendMode::Dissolve, seed);
        d
    };
    let a = run(1, 0.3);
    assert_eq!(a, run(1, 0.3));
    assert_ne!(a, run(2, 0.3));
    let drawn = a.data().chunks_exact(4).filter(|p| p[0] == 255).count();
    let fraction = drawn as f64 / 40_000.0;
    assert!((fraction - 0.3).abs() < 0.015, "{fraction}");
    // Every pixel is either the source or the backdrop, never a mix.
    assert!(
        a.data()
            .chunks_exact(4)
            .all(|p| p == [255, 0, 0, 255] || p == [0, 0, 255, 255])
    );
    // Alpha counts like opacity: α = 51 at opacity 1 is a 20% chance.
    let mut d = Canvas::transparent(200, 200);
    let faint = Canvas::filled(200, 200, [0, 255, 0, 51]);
    draw_layer(&mut d, &faint, (0, 0), 1.0, BlendMode::Dissolve, 3);
    let drawn = d.data().chunks_exact(4).filter(|p| p[3] == 255).count();
    assert!((drawn as f64 / 40_000.0 - 0.2).abs() < 0.015);
    assert!(d.data().chunks_exact(4).all(|p| p[3] == 0 || p[3] == 255));
}

#[test]
fn dissolve_pattern_follows_the_layer_not_the_destination() {
    let layer = Canvas::filled(50, 50, [255, 255, 255, 255]);
    let mut whole = Canvas::transparent(100, 100);
    draw_layer(&mut whole, &layer, (10, 10), 0.5, BlendMode::Dissolve, 9);
    // The same layer partly off a smaller destination: the visible part
    // matches pixel for pixel.
    let mut part = Canvas::transparent(30, 30);
    draw_layer(&mut part, &layer, (-20, -20), 0.5, BlendMode::Dissolve, 9);
    for y in 0..30 {
        for x in 0..30 {
            assert_eq!(px(&part, x, y), px(&whole, x + 30, y + 30));
        }
    }
}

#[test]
fn drawing_clips_to_the_destination() {
    let mut layer = Canvas::filled(4, 4, [255, 0, 0, 255]);
    // A marker at the layer's bottom-right pixel.
    layer.data_mut()[(3 * 4 + 3) * 4..][..4].copy_from_slice(&[0, 255, 0, 255]);
    let mut d = Canvas::transparent(5, 5);
    draw_layer(&mut d, &layer, (-2, -1), 1.0, BlendMode::Norm, 0);
    assert_eq!(px(&d, 0, 0), [255, 0, 0, 255]);
    assert_eq!(px(&d, 1, 2), [0, 255, 0, 255]);
    assert_eq!(px(&d, 2, 0), [0, 0, 0, 0]);
    assert_eq!(px(&d, 0, 3), [0, 0, 0, 0]);
    // Past the bottom-right edge.
    let mut d = Canvas::transparent(5, 5);
    draw_layer(&mut d, &layer, (3, 4), 1.0, BlendMode::Mult, 0);
    assert_eq!(px(&d, 4, 4), [255, 0, 0, 255]);
    assert_eq!(px(&d, 2, 4), [0, 0, 0, 0]);
    // Wholly outside, and at extreme offsets: nothing, no panic.
    let before = d.clone();
    for at in [(5, 0), (0, 5), (-4, 0), (i64::MIN, i64::MAX), (i64::MAX, 0)] {
        draw_layer(&mut d, &layer, at, 1.0, BlendMode::Norm, 0);
    }
    assert_eq!(d, before);
}

// ---------------------------------------------------------------- masks

/// A 256×1 opaque gray ramp: luminance x at column x.
fn gray_ramp() -> Canvas {
    let data = (0..=255u8).flat_map(|v| [v, v, v, 255]).collect();
    Canvas::from_rgba(256, 1, data).unwrap()
}

#[test]
fn mask_use_table_on_a_gradient() {
    let layer = Canvas::filled(256, 1, [10, 20, 30, 255]);
    let mask = gray_ramp();
    let mut norm = layer.clone();
    apply_mask(&mut norm, &mask, MaskUse::Norm).unwrap();
    let mut invert = layer.clone();
    apply_mask(&mut invert, &mask, MaskUse::Invert).unwrap();
    let mut off = layer.clone();
    apply_mask(&mut off, &mask, MaskUse::Off).unwrap();
    for x in 0..256u32 {
        assert_eq!(px(&norm, x, 0), [10, 20, 30, x as u8]);
        assert_eq!(px(&invert, x, 0), [10, 20, 30, 255 - x as u8]);
        assert_eq!(px(&off, x, 0), [10, 20, 30, 255]);
    }
    // norm multiplies the layer's own alpha: 128 · 100/255 = 50.2.
    let mut half = Canvas::filled(256, 1, [10, 20, 30, 128]);
    apply_mask(&mut half, &mask, MaskUse::Norm).unwrap();
    assert_eq!(alpha(&half, 100, 0), 50);
    // off ignores the mask and the layer's alpha: an opaque rectangle.
    let mut off = Canvas::filled(256, 1, [10, 20, 30, 0]);
    apply_mask(&mut off, &mask, MaskUse::Off).unwrap();
    assert!(!off.has_transparency());
}

#[test]
fn mask_values_come_from_alpha_when_present_else_luminance() {
    let layer = Canvas::filled(2, 1, [0, 0, 0, 255]);
    // Black pixels whose alpha carries the mask: luminance is ignored.
    let alpha_mask = Canvas::from_rgba(2, 1, vec![0, 0, 0, 200, 0, 0, 0, 255]).unwrap();
    let mut l = layer.clone();
    apply_mask(&mut l, &alpha_mask, MaskUse::Norm).unwrap();
    assert_eq!((alpha(&l, 0, 0), alpha(&l, 1, 0)), (200, 255));
    // An opaque colour mask: Rec. 601 luminance, pure red = 0.299·255 = 76.
    let color_mask = Canvas::from_rgba(2, 1, vec![255, 0, 0, 255, 0, 0, 255, 255]).unwrap();
    let mut l = layer.clone();
    apply_mask(&mut l, &color_mask, MaskUse::Norm).unwrap();
    assert_eq!((alpha(&l, 0, 0), alpha(&l, 1, 0)), (76, 29));
}

#[test]
fn mask_of_the_wrong_size_is_an_error_and_changes_nothing() {
    let mut layer = Canvas::filled(3, 3, [1, 2, 3, 255]);
    let err = apply_mask(&mut layer, &Canvas::transparent(2, 3), MaskUse::Norm).unwrap_err();
    assert_eq!((err.mask_width, err.layer_width), (2, 3));
    assert!(err.to_string().contains("2x3"));
    assert_eq!(layer, Canvas::filled(3, 3, [1, 2, 3, 255]));
    let render: rendition::render::RenderError = err.into();
    assert!(render.to_string().contains("mask"));
}

#[test]
fn mask_use_without_a_separate_mask() {
    let mut c = Canvas::from_rgba(2, 1, vec![5, 5, 5, 255, 5, 5, 5, 40]).unwrap();
    apply_mask_use(&mut c, MaskUse::Norm);
    assert_eq!((alpha(&c, 0, 0), alpha(&c, 1, 0)), (255, 40));
    apply_mask_use(&mut c, MaskUse::Invert);
    // An opaque layer with no mask is hidden; a cut-out shows its background.
    assert_eq!((alpha(&c, 0, 0), alpha(&c, 1, 0)), (0, 215));
    apply_mask_use(&mut c, MaskUse::Off);
    assert_eq!((alpha(&c, 0, 0), alpha(&c, 1, 0)), (255, 255));
}

// ---------------------------------------------------------------- clip paths

fn clipped(w: u32, h: u32, include: &str, exclude: Option<&str>) -> Canvas {
    let mut c = Canvas::filled(w, h, [50, 60, 70, 255]);
    let exclude = exclude.map(path);
    clip_path(&mut c, &path(include), exclude.as_ref(), (0.0, 0.0));
    c
}

#[test]
fn clip_path_square_is_exact_on_pixel_edges() {
    let c = clipped(30, 30, "M10,10L20,10L20,20L10,20Z", None);
    for y in 0..30 {
        for x in 0..30 {
            let inside = (10..20).contains(&x) && (10..20).contains(&y);
            assert_eq!(alpha(&c, x, y), if inside { 255 } else { 0 }, "{x},{y}");
        }
    }
    // Colours are kept.
    assert_eq!(px(&c, 15, 15), [50, 60, 70, 255]);
}

#[test]
fn clip_path_half_pixel_edges_are_partial() {
    // x from 10.5 to 20.25: the left column is half covered, the right a
    // quarter; a quarter-pixel corner is a quarter of that.
    let c = clipped(30, 30, "M10.5,10L20.25,10L20.25,19.5L10.5,19.5", None);
    assert_eq!(alpha(&c, 10, 12), 128);
    assert_eq!(alpha(&c, 20, 12), 64);
    assert_eq!(alpha(&c, 15, 19), 128);
    assert_eq!(alpha(&c, 20, 19), 32);
    assert_eq!(alpha(&c, 15, 12), 255);
}

#[test]
fn clip_path_triangle() {
    // Right triangle (0,0) (20,0) (0,20): the hypotenuse x + y = 20.
    let c = clipped(20, 20, "M0,0L20,0L0,20Z", None);
    assert_eq!(alpha(&c, 2, 2), 255);
    assert_eq!(alpha(&c, 15, 15), 0);
    // Pixels on the diagonal are cut in half.
    for i in 0..20 {
        assert_eq!(alpha(&c, i, 19 - i), 128, "{i}");
    }
    assert_eq!(alpha(&c, 10, 10), 0);
    assert_eq!(alpha(&c, 9, 9), 255);
}

#[test]
fn relative_commands_and_implicit_close() {
    // The same square with relative lines and no Z.
    let a = clipped(30, 30, "M10,10L20,10L20,20L10,20Z", None);
    let b = clipped(30, 30, "m10,10l10,0l0,10l-10,0", None);
    assert_eq!(a, b);
    // A relative m after a closed subpath starts from its start (10,10);
    // after an open one, from its end.
    let closed = clipped(40, 40, "M10,10l5,0l0,5l-5,0zm15,15l5,0l0,5l-5,0z", None);
    assert_eq!(alpha(&closed, 27, 27), 255);
    let open = clipped(40, 40, "M10,10l5,0l0,5l-5,0m15,15l5,0l0,5l-5,0", None);
    // The open subpath ended at (10,15): the second square is at (25,30).
    assert_eq!(alpha(&open, 27, 27), 0);
    assert_eq!(alpha(&open, 27, 32), 255);
    // Both keep the first square.
    assert_eq!(alpha(&closed, 12, 12), 255);
    assert_eq!(alpha(&open, 12, 12), 255);
    // A first relative m starts from 0,0; repeated pairs after m are lines.
    assert_eq!(
        clipped(30, 30, "m10,10,10,0,0,10,-10,0", None),
        a,
        "implicit lineto"
    );
}

#[test]
fn relative_cubics_are_relative_to_the_segment_start() {
    // Two half-discs by cubics, absolute and relative, make the same shape.
    let abs = clipped(40, 40, "M10,20C10,5,30,5,30,20C30,35,10,35,10,20Z", None);
    let rel = clipped(40, 40, "M10,20c0,-15,20,-15,20,0c0,15,-20,15,-20,0z", None);
    assert_eq!(abs, rel);
    assert_eq!(alpha(&abs, 20, 20), 255);
    assert_eq!(alpha(&abs, 2, 2), 0);
    // The curve reaches y = 8.75 at its top (3/4 of the way to the control
    // points): row 8 is partly covered at the centre, row 7 not at all.
    let top = alpha(&abs, 20, 8);
    assert!(top > 0 && top < 255, "{top}");
    assert_eq!(alpha(&abs, 20, 7), 0);
}

#[test]
fn exclusion_path_cuts_a_hole() {
    let c = clipped(
        30,
        30,
        "M0,0L30,0L30,30L0,30Z",
        Some("M10,10L20,10L20,20L10,20Z"),
    );
    assert_eq!(alpha(&c, 5, 5), 255);
    assert_eq!(alpha(&c, 15, 15), 0);
    assert_eq!(alpha(&c, 20, 15), 255);
    // Nonzero winding: an inner subpath wound the other way is a hole too,
    // wound the same way it is not.
    let hole = clipped(
        30,
        30,
        "M0,0L30,0L30,30L0,30ZM10,10L10,20L20,20L20,10Z",
        None,
    );
    assert_eq!(alpha(&hole, 15, 15), 0);
    let same = clipped(
        30,
        30,
        "M0,0L30,0L30,30L0,30ZM10,10L20,10L20,20L10,20Z",
        None,
    );
    assert_eq!(alpha(&same, 15, 15), 255);
}

#[test]
fn clip_path_origin_and_paths_past_the_edges() {
    // Origin shifts the path into the layer.
    let mut c = Canvas::filled(20, 20, [1, 1, 1, 255]);
    clip_path(&mut c, &path("M-5,-5L5,-5L5,5L-5,5Z"), None, (10.0, 10.0));
    assert_eq!(alpha(&c, 5, 5), 255);
    assert_eq!(alpha(&c, 14, 14), 255);
    assert_eq!(alpha(&c, 15, 15), 0);
    assert_eq!(alpha(&c, 4, 10), 0);
    // A shape much larger than the layer, crossing every edge diagonally.
    let big = clipped(10, 10, "M5,-100L110,5L5,110L-100,5Z", None);
    assert!(!big.has_transparency());
    // A triangle cut by the left edge keeps its exact diagonal.
    let cut = clipped(10, 10, "M-10,0L10,0L-10,20Z", None);
    assert_eq!(alpha(&cut, 0, 0), 255);
    // The hypotenuse x + y = 10 halves the pixels (x, 9 − x).
    assert_eq!(alpha(&cut, 4, 4), 255);
    assert_eq!(alpha(&cut, 4, 5), 128);
    assert_eq!(alpha(&cut, 0, 9), 128);
    assert_eq!(alpha(&cut, 5, 5), 0);
}

#[test]
fn path_bounds_and_pixel_rect() {
    assert_eq!(
        path_bounds(&path("M10,10L20,10L20,25L10,25Z")),
        Some((10.0, 10.0, 20.0, 25.0))
    );
    // A cubic counts by its curve, not its control points: the top of
    // C10,5,30,5,30,20 from (10,20) is 20 − 15·0.75 = 8.75.
    let (l, t, r, b) = path_bounds(&path("M10,20C10,5,30,5,30,20Z")).unwrap();
    assert_eq!((l, r, b), (10.0, 30.0, 20.0));
    assert!((t - 8.75).abs() < 1e-9, "{t}");
    assert_eq!(path_bounds(&path("M10,10")), None);
    assert_eq!(path_bounds(&Path { steps: vec![] }), None);
    let rect = path_pixel_rect(&path("M-2.5,1.2l10,0l0,3.6z")).unwrap();
    assert_eq!((rect.x, rect.y, rect.w, rect.h), (-3, 1, 11, 4));
    // A straight line has no area.
    assert_eq!(path_pixel_rect(&path("M0,0L10,0")), None);
}

#[test]
fn fill_path_sizes_a_solid_layer_to_its_path() {
    let p = path("M-10,-10L10,-10L0,10Z");
    let rect = path_pixel_rect(&p).unwrap();
    assert_eq!((rect.x, rect.y, rect.w, rect.h), (-10, -10, 20, 20));
    let c = fill_path(rect.w, rect.h, &p, [255, 0, 0, 200]);
    assert_eq!(c.size(), (20, 20));
    assert_eq!(px(&c, 10, 1), [255, 0, 0, 200]);
    assert_eq!(alpha(&c, 0, 19), 0);
    assert_eq!(alpha(&c, 19, 19), 0);
    // An empty path gives a transparent canvas of the asked size.
    let e = fill_path(3, 2, &Path { steps: vec![] }, [1, 2, 3, 255]);
    assert_eq!(e, Canvas::transparent(3, 2));
}

// ---------------------------------------------------------------- effects

fn spec(index: i32, color: [u8; 4]) -> EffectSpec {
    EffectSpec {
        index,
        color,
        opacity: 1.0,
        grow: 0,
        blur: 0.0,
        noise: None,
        offset: (0, 0),
        blend: BlendMode::Norm,
        mask_use: MaskUse::Norm,
    }
}

/// A 20×20 opaque white square in the middle of a 40×40 transparent parent.
fn square_parent() -> Canvas {
    let mut c = Canvas::transparent(40, 40);
    let sq = Canvas::filled(20, 20, [255, 255, 255, 255]);
    draw_layer(&mut c, &sq, (10, 10), 1.0, BlendMode::Norm, 0);
    c
}

/// The alpha of an effect at parent pixel (x, y).
fn effect_alpha(effect: &(Canvas, (i64, i64)), x: i64, y: i64) -> u8 {
    let (canvas, (ox, oy)) = effect;
    let (ex, ey) = (x - ox, y - oy);
    if ex < 0 || ey < 0 {
        return 0;
    }
    canvas.pixel(ex as u32, ey as u32).map_or(0, |p| p[3])
}

#[test]
fn outer_effect_is_padded_grown_and_offset() {
    let parent = square_parent();
    let e = render_effect(
        &parent,
        &EffectSpec {
            grow: 3,
            offset: (7, -2),
            ..spec(-1, [255, 0, 0, 255])
        },
        1,
    );
    // Padded by the growth, moved by the offset.
    assert_eq!(e.0.size(), (46, 46));
    assert_eq!(e.1, (7 - 3, -2 - 3));
    // The square 10..30 grown by 3 is 7..33 (with rounded corners),
    // shifted by (7, −2): x 14..40, y 5..31.
    assert_eq!(effect_alpha(&e, 14, 20), 255);
    assert_eq!(effect_alpha(&e, 13, 20), 0);
    assert_eq!(effect_alpha(&e, 39, 20), 255);
    assert_eq!(effect_alpha(&e, 40, 20), 0);
    assert_eq!(effect_alpha(&e, 25, 5), 255);
    assert_eq!(effect_alpha(&e, 25, 4), 0);
    assert_eq!(effect_alpha(&e, 25, 30), 255);
    assert_eq!(effect_alpha(&e, 25, 31), 0);
    // Rounded: the grown corner is cut (op_grow's disc).
    assert_eq!(effect_alpha(&e, 14, 5), 0);
    assert_eq!(px(&e.0, 20, 20), [255, 0, 0, 255]);
}

#[test]
fn outer_effect_near_the_edge_is_not_cut() {
    // A parent that is opaque to its edges: growth and blur spill outside.
    let parent = Canvas::filled(10, 10, [0, 0, 0, 255]);
    let e = render_effect(
        &parent,
        &EffectSpec {
            grow: 4,
            blur: 4.0,
            ..spec(-1, [0, 0, 0, 255])
        },
        1,
    );
    assert!(effect_alpha(&e, -4, 5) > 100);
    assert!(effect_alpha(&e, -7, 5) > 0);
    // The padding reaches past the blur: the canvas border is clear.
    let (w, h) = e.0.size();
    for x in 0..w {
        assert_eq!(e.0.pixel(x, 0).unwrap()[3], 0);
        assert_eq!(e.0.pixel(x, h - 1).unwrap()[3], 0);
    }
}

#[test]
fn drop_shadow_is_offset_blurred_and_under_the_parent() {
    let parent = square_parent();
    let mut dst = Canvas::filled(60, 60, [255, 255, 255, 255]);
    let shadow = EffectSpec {
        blur: 4.0,
        offset: (5, 5),
        ..spec(-1, [0, 0, 0, 255])
    };
    draw_with_effects(
        &mut dst,
        &parent,
        (10, 10),
        1.0,
        BlendMode::Norm,
        &[shadow],
        0,
    );
    // The parent square (dst 20..40) covers the shadow entirely.
    for y in 20..40 {
        for x in 20..40 {
            assert_eq!(px(&dst, x, y), [255, 255, 255, 255], "{x},{y}");
        }
    }
    // Below-right of the square, inside the shifted shadow: dark.
    assert!(px(&dst, 42, 42)[0] < 100, "{:?}", px(&dst, 42, 42));
    // Above-left of the square, where the shadow does not reach: untouched.
    assert_eq!(px(&dst, 15, 15), [255, 255, 255, 255]);
    // Blurred: the shadow's outer edge is a ramp, not a step.
    let ramp: Vec<u8> = (42..50).map(|x| px(&dst, x, 30)[0]).collect();
    assert!(ramp.windows(2).all(|w| w[0] <= w[1]), "{ramp:?}");
    assert!(ramp.iter().any(|v| *v > 20 && *v < 235), "{ramp:?}");
    // Without the parent the shadow shows where the parent was.
    let e = render_effect(&parent, &shadow, 0);
    assert!(effect_alpha(&e, 25, 25) > 200);
}

#[test]
fn inner_glow_stays_inside_the_parent() {
    let parent = square_parent();
    let glow = EffectSpec {
        grow: 3,
        ..spec(1, [255, 255, 0, 255])
    };
    let e = render_effect(&parent, &glow, 0);
    assert_eq!(e.1, (0, 0));
    assert_eq!(e.0.size(), parent.size());
    // A 3-px band along the inside of the edges.
    assert_eq!(effect_alpha(&e, 10, 20), 255);
    assert_eq!(effect_alpha(&e, 12, 20), 255);
    assert_eq!(effect_alpha(&e, 13, 20), 0);
    assert_eq!(effect_alpha(&e, 20, 20), 0);
    assert_eq!(effect_alpha(&e, 29, 20), 255);
    // Nothing outside the parent's alpha.
    for y in 0..40 {
        for x in 0..40 {
            if parent.pixel(x, y).unwrap()[3] == 0 {
                assert_eq!(e.0.pixel(x, y).unwrap(), [0, 0, 0, 0], "{x},{y}");
            }
        }
    }
    // Blurred, it still never leaves the parent and fades inwards.
    let soft = render_effect(&parent, &EffectSpec { blur: 6.0, ..glow }, 0);
    assert_eq!(effect_alpha(&soft, 9, 20), 0);
    assert!(effect_alpha(&soft, 10, 20) > effect_alpha(&soft, 15, 20));
    assert!(effect_alpha(&soft, 15, 20) > 0);
}

#[test]
fn inner_shadow_sits_on_the_edges_facing_the_light() {
    let parent = square_parent();
    let e = render_effect(
        &parent,
        &EffectSpec {
            offset: (4, 4),
            ..spec(1, [0, 0, 0, 255])
        },
        0,
    );
    // The inverse shifted by (4, 4) covers the top and left 4 px.
    assert_eq!(effect_alpha(&e, 11, 20), 255);
    assert_eq!(effect_alpha(&e, 20, 12), 255);
    assert_eq!(effect_alpha(&e, 14, 20), 0);
    assert_eq!(effect_alpha(&e, 28, 20), 0);
    assert_eq!(effect_alpha(&e, 20, 28), 0);
}

#[test]
fn effect_mask_use_and_opacity() {
    let parent = square_parent();
    // invert: an outer effect fills the parent's transparent area.
    let inv = render_effect(
        &parent,
        &EffectSpec {
            mask_use: MaskUse::Invert,
            ..spec(-1, [0, 0, 255, 255])
        },
        0,
    );
    assert_eq!(effect_alpha(&inv, 2, 2), 255);
    assert_eq!(effect_alpha(&inv, 20, 20), 0);
    // off: the whole parent rect.
    let off = render_effect(
        &parent,
        &EffectSpec {
            mask_use: MaskUse::Off,
            ..spec(-1, [0, 0, 255, 255])
        },
        0,
    );
    assert_eq!(effect_alpha(&off, 2, 2), 255);
    // Colour alpha × opacity: 128 × 0.5 = 64.
    let faint = render_effect(
        &parent,
        &EffectSpec {
            opacity: 0.5,
            ..spec(-1, [0, 0, 255, 128])
        },
        0,
    );
    assert_eq!(effect_alpha(&faint, 20, 20), 64);
    assert_eq!(effect_alpha(&faint, 2, 2), 0);
}

#[test]
fn effect_noise_is_seeded_and_keeps_alpha() {
    let parent = square_parent();
    let noisy = EffectSpec {
        noise: Some(Noise {
            amount: 40,
            distribution: None,
            mono: None,
        }),
        ..spec(-1, [128, 128, 128, 255])
    };
    let a = render_effect(&parent, &noisy, 5);
    assert_eq!(a, render_effect(&parent, &noisy, 5));
    assert_ne!(a.0, render_effect(&parent, &noisy, 6).0);
    let plain = render_effect(&parent, &spec(-1, [128, 128, 128, 255]), 5);
    let alphas = |c: &Canvas| c.data().chunks_exact(4).map(|p| p[3]).collect::<Vec<_>>();
    assert_eq!(alphas(&a.0), alphas(&plain.0));
    assert_ne!(a.0, plain.0);
}

#[test]
fn effects_stack_in_order() {
    // A half-transparent parent so the layers under it show through.
    let parent = Canvas::filled(10, 10, [255, 255, 255, 128]);
    let mut dst = Canvas::transparent(10, 10);
    let effects = [
        spec(2, [0, 0, 255, 255]),
        spec(-1, [0, 255, 0, 255]),
        spec(-2, [255, 0, 0, 255]),
        spec(1, [255, 0, 0, 255]),
        spec(0, [9, 9, 9, 255]),
    ];
    draw_with_effects(&mut dst, &parent, (0, 0), 1.0, BlendMode::Norm, &effects, 0);
    // Expected: red (−2), then green (−1) over it, then the white parent,
    // then the inner effects red (1) and blue (2) on top; index 0 ignored.
    let mut expect = Canvas::transparent(10, 10);
    let draw = |expect: &mut Canvas, c: &Canvas, at: (i64, i64)| {
        draw_layer(expect, c, at, 1.0, BlendMode::Norm, 0);
    };
    for index in [2, 1] {
        let (c, at) = render_effect(&parent, &effects[index], 0);
        draw(&mut expect, &c, at);
    }
    draw(&mut expect, &parent, (0, 0));
    for index in [3, 0] {
        let (c, at) = render_effect(&parent, &effects[index], 0);
        draw(&mut expect, &c, at);
    }
    assert_eq!(dst, expect);
    // By hand: the outer effects follow the parent's alpha (128); the
    // inner ones have alpha (255 − 128)·128/255 = 64 each.
    let mut by_hand = Canvas::transparent(1, 1);
    for c in [
        [255, 0, 0, 128],
        [0, 255, 0, 128],
        [255, 255, 255, 128],
        [255, 0, 0, 64],
        [0, 0, 255, 64],
    ] {
        draw_layer(
            &mut by_hand,
            &Canvas::filled(1, 1, c),
            (0, 0),
            1.0,
            BlendMode::Norm,
            0,
        );
    }
    assert_eq!(px(&dst, 5, 5), px(&by_hand, 0, 0));
    // Inner effects are kept inside the parent: with `maskUse=off` the
    // inverse of the whole rect is empty inside it, so nothing shows.
    let mut dst = Canvas::transparent(10, 10);
    let opaque = Canvas::filled(10, 10, [255, 255, 255, 255]);
    let cover = EffectSpec {
        mask_use: MaskUse::Off,
        ..spec(1, [0, 0, 0, 255])
    };
    draw_with_effects(&mut dst, &opaque, (0, 0), 1.0, BlendMode::Norm, &[cover], 0);
    assert_eq!(px(&dst, 5, 5), [255, 255, 255, 255]);
    // ... but with growth it shows along the rect's inner edges, over the parent.
    let mut dst = Canvas::transparent(10, 10);
    let edge = EffectSpec { grow: 2, ..cover };
    draw_with_effects(&mut dst, &opaque, (0, 0), 1.0, BlendMode::Norm, &[edge], 0);
    assert_eq!(px(&dst, 0, 5), [0, 0, 0, 255]);
    assert_eq!(px(&dst, 1, 5), [0, 0, 0, 255]);
    assert_eq!(px(&dst, 2, 5), [255, 255, 255, 255]);
}

#[test]
fn effect_blend_mode_and_parent_opacity() {
    // A multiply outer glow under a transparent parent darkens the backdrop.
    let parent = Canvas::filled(4, 4, [0, 0, 0, 0]);
    let mut dst = Canvas::filled(4, 4, [200, 200, 200, 255]);
    let e = EffectSpec {
        blend: BlendMode::Mult,
        mask_use: MaskUse::Off,
        ..spec(-1, [128, 255, 255, 255])
    };
    draw_with_effects(&mut dst, &parent, (0, 0), 1.0, BlendMode::Norm, &[e], 0);
    // 200 · 128 / 255 = 100.4.
    assert_eq!(px(&dst, 1, 1), [100, 200, 200, 255]);
    // Parent opacity 0 hides the parent but not its effects (they carry
    // their own opacity).
    let mut dst = Canvas::filled(4, 4, [200, 200, 200, 255]);
    let white = Canvas::filled(4, 4, [255, 255, 255, 255]);
    let shadow = spec(-1, [0, 0, 0, 255]);
    draw_with_effects(&mut dst, &white, (0, 0), 0.0, BlendMode::Norm, &[shadow], 0);
    assert_eq!(px(&dst, 1, 1), [0, 0, 0, 255]);
}

#[test]
fn default_macros_parse_as_effect_commands() {
    for body in [SHADOW_MACRO, GLOW_MACRO] {
        for index in [-1, 1] {
            let q = format!("layer=1&color=255,0,0&size=10,10&effect={index}&{body}");
            let parsed = rendition::protocol::parse_query(&q);
            assert!(!parsed.has_errors(), "{q}: {:?}", parsed.first_error());
        }
    }
}

/// Speed notes: `cargo test --release --test compositing -- --ignored
/// --nocapture timing`.
#[test]
#[ignore]
fn timing_1000x750() {
    use std::time::Instant;
    let mut layer = Canvas::filled(1000, 750, [200, 100, 50, 255]);
    for (i, p) in layer.data_mut().chunks_exact_mut(4).enumerate() {
        p[3] = (i % 256) as u8;
    }
    let backdrop = Canvas::filled(1000, 750, [10, 120, 230, 200]);
    for mode in BlendMode::ALL {
        let mut dst = backdrop.clone();
        let t = Instant::now();
        for _ in 0..10 {
            draw_layer(&mut dst, &layer, (0, 0), 0.8, *mode, 1);
        }
        println!("draw_layer {mode:?}: {:?}", t.elapsed() / 10);
    }
    let opaque = Canvas::filled(1000, 750, [200, 100, 50, 255]);
    let mut dst = backdrop.clone();
    let t = Instant::now();
    for _ in 0..10 {
        draw_layer(&mut dst, &opaque, (0, 0), 1.0, BlendMode::Norm, 1);
    }
    println!("draw_layer Norm opaque: {:?}", t.elapsed() / 10);
    let p = path(
        "M500,0C800,0,1000,200,1000,375C1000,550,800,750,500,750C200,750,0,550,0,375C0,200,200,0,500,0Z",
    );
    let t = Instant::now();
    let mut c = opaque.clone();
    clip_path(
        &mut c,
        &p,
        Some(&path("M400,300L600,300L600,450L400,450Z")),
        (0.0, 0.0),
    );
    println!("clip_path ellipse + hole: {:?}", t.elapsed());
    let t = Instant::now();
    let mut c = opaque.clone();
    apply_mask(&mut c, &layer, MaskUse::Norm).unwrap();
    println!("apply_mask: {:?}", t.elapsed());
    let t = Instant::now();
    let mut dst = backdrop.clone();
    let shadow = EffectSpec {
        blur: 5.0,
        offset: (5, 5),
        ..spec(-1, [0, 0, 0, 191])
    };
    let glow = EffectSpec {
        grow: 2,
        blur: 8.0,
        blend: BlendMode::Screen,
        ..spec(1, [255, 255, 190, 191])
    };
    draw_with_effects(
        &mut dst,
        &c,
        (0, 0),
        1.0,
        BlendMode::Norm,
        &[shadow, glow],
        1,
    );
    println!("draw_with_effects shadow + inner glow: {:?}", t.elapsed());
}
