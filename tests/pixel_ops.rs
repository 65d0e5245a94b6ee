//! Pixel operations of spec §3.6 (`src/render/ops.rs`): neutral values are
//! no-ops, inverse operations cancel, extremes land where the docs say, and
//! neighbourhood operations never let transparent colour bleed.

use rendition::protocol::ast::{
    Color, ColorValue, Colorize, ColorizeMode, Noise, NoiseDistribution, Usm,
};
use rendition::render::Canvas;
use rendition::render::ops::{self, BlurEdge};

/// A deterministic "photo": smooth gradients plus a hashed texture, with a
/// varying alpha so the tests see partially transparent pixels too.
fn photo(w: u32, h: u32, with_alpha: bool) -> Canvas {
    let mut data = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let hash = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(2_246_822_519)) >> 24;
            let r = (x * 255 / w.max(1)) as u8;
            let g = (y * 255 / h.max(1)) as u8;
            let b = hash as u8;
            let a = if with_alpha {
                ((x + y) * 37 % 256) as u8
            } else {
                255
            };
            data.extend_from_slice(&[r, g, b, a]);
        }
    }
    Canvas::from_rgba(w, h, data).expect("size matches")
}

fn set(canvas: &mut Canvas, x: u32, y: u32, rgba: [u8; 4]) {
    let i = ((y * canvas.width() + x) * 4) as usize;
    canvas.data_mut()[i..i + 4].copy_from_slice(&rgba);
}

fn px(canvas: &Canvas, x: u32, y: u32) -> [u8; 4] {
    canvas.pixel(x, y).expect("inside")
}

fn rgb(r: u8, g: u8, b: u8) -> Color {
    Color {
        value: ColorValue::Rgb {
            r,
            g,
            b,
            alpha: 255,
        },
        source_space: false,
    }
}

fn usm(amount: f64, radius: f64, threshold: u8, mono: bool) -> Usm {
    Usm {
        amount,
        radius: Some(radius),
        threshold: Some(threshold),
        mono: Some(mono),
    }
}

fn max_channel_diff(a: &Canvas, b: &Canvas) -> u8 {
    a.data()
        .iter()
        .zip(b.data())
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0)
}

fn alphas(canvas: &Canvas) -> Vec<u8> {
    canvas.data().chunks_exact(4).map(|p| p[3]).collect()
}

#[test]
fn neutral_values_are_no_ops() {
    let original = photo(23, 17, true);
    let mut c = original.clone();
    ops::blur(&mut c, 0.0);
    ops::brightness(&mut c, 0);
    ops::contrast(&mut c, 0);
    ops::color_balance(&mut c, [0, 0, 0]);
    ops::hue(&mut c, 0);
    ops::saturation(&mut c, 0);
    ops::grow(&mut c, 0);
    ops::noise(
        &mut c,
        &Noise {
            amount: 0,
            distribution: None,
            mono: None,
        },
        7,
    );
    ops::unsharp_mask(&mut c, &usm(0.0, 3.0, 0, false), 1.0);
    ops::unsharp_mask(&mut c, &usm(2.0, 0.0, 0, false), 1.0);
    assert_eq!(c, original);
}

#[test]
fn invalid_reals_are_clamped_not_panics() {
    let mut c = photo(9, 9, true);
    ops::blur(&mut c, f64::NAN);
    ops::blur(&mut c, -3.0);
    ops::unsharp_mask(&mut c, &usm(f64::NAN, f64::INFINITY, 0, false), f64::NAN);
    assert_eq!(c, photo(9, 9, true));
    // Out-of-range integers clamp to the range ends.
    let mut a = photo(9, 9, false);
    let mut b = a.clone();
    ops::brightness(&mut a, 1000);
    ops::brightness(&mut b, 100);
    assert_eq!(a, b);
    // Empty canvases are fine.
    let mut empty = Canvas::transparent(0, 5);
    ops::blur(&mut empty, 10.0);
    ops::grow(&mut empty, 3);
    ops::sharpen(&mut empty);
    ops::unsharp_mask(&mut empty, &usm(1.0, 1.0, 0, false), 1.0);
}

#[test]
fn invert_twice_is_identity_and_keeps_alpha() {
    let original = photo(31, 11, true);
    let mut c = original.clone();
    ops::invert(&mut c);
    assert_eq!(alphas(&c), alphas(&original));
    assert_eq!(px(&c, 0, 0)[0], 255 - px(&original, 0, 0)[0]);
    ops::invert(&mut c);
    assert_eq!(c, original);
}

#[test]
fn saturation_minus_100_is_gray_and_plus_100_keeps_gray() {
    let mut c = photo(20, 20, true);
    let original = c.clone();
    ops::saturation(&mut c, -100);
    for (p, o) in c
        .data()
        .chunks_exact(4)
        .zip(original.data().chunks_exact(4))
    {
        assert!(p[0] == p[1] && p[1] == p[2], "not gray: {p:?}");
        assert_eq!(p[3], o[3]);
    }
    // Gray stays gray when saturating.
    let gray = c.clone();
    ops::saturation(&mut c, 100);
    assert_eq!(c, gray);
}

#[test]
fn saturation_plus_100_doubles_chroma_without_clipping_hue() {
    // Y = 0.299·150 + 0.587·100 + 0.114·100 = 114.95.
    let mut c = Canvas::filled(1, 1, [150, 100, 100, 255]);
    ops::saturation(&mut c, 100);
    let [r, g, b, _] = px(&c, 0, 0);
    assert_eq!([r, g, b], [185, 85, 85]);
    // Near the gamut edge the factor is limited; hue (G = B) is kept.
    let mut c = Canvas::filled(1, 1, [250, 10, 10, 255]);
    ops::saturation(&mut c, 100);
    let [r, g, b, _] = px(&c, 0, 0);
    assert_eq!(g, b);
    assert!(r >= 250);
}

#[test]
fn hue_180_twice_is_identity_within_one() {
    let original = photo(40, 30, true);
    let mut c = original.clone();
    ops::hue(&mut c, 180);
    assert_ne!(c, original);
    ops::hue(&mut c, 180);
    assert!(max_channel_diff(&c, &original) <= 1);
    // +90 then −90 as well.
    let mut c = original.clone();
    ops::hue(&mut c, 90);
    ops::hue(&mut c, -90);
    assert!(max_channel_diff(&c, &original) <= 1);
}

#[test]
fn hue_rotates_primaries() {
    let mut c = Canvas::filled(3, 1, [255, 0, 0, 255]);
    set(&mut c, 1, 0, [0, 255, 0, 200]);
    set(&mut c, 2, 0, [128, 128, 128, 255]);
    ops::hue(&mut c, 120);
    assert_eq!(px(&c, 0, 0), [0, 255, 0, 255]);
    assert_eq!(px(&c, 1, 0), [0, 0, 255, 200]);
    assert_eq!(px(&c, 2, 0), [128, 128, 128, 255]);
    ops::hue(&mut c, -60);
    assert_eq!(px(&c, 0, 0), [255, 255, 0, 255]);
}

#[test]
fn brightness_extremes() {
    let mut c = photo(16, 16, true);
    let original = c.clone();
    ops::brightness(&mut c, 100);
    for p in c.data().chunks_exact(4) {
        assert_eq!(&p[..3], &[255, 255, 255]);
    }
    assert_eq!(alphas(&c), alphas(&original));
    let mut c = original.clone();
    ops::brightness(&mut c, -100);
    assert!(c.data().chunks_exact(4).all(|p| p[..3] == [0, 0, 0]));
    // +10 adds round(25.5) = 26.
    let mut c = Canvas::filled(1, 1, [10, 100, 250, 255]);
    ops::brightness(&mut c, 10);
    assert_eq!(px(&c, 0, 0), [36, 126, 255, 255]);
}

#[test]
fn contrast_extremes() {
    let mut c = photo(16, 16, true);
    let original = c.clone();
    ops::contrast(&mut c, -100);
    for p in c.data().chunks_exact(4) {
        assert_eq!(&p[..3], &[128, 128, 128]);
    }
    assert_eq!(alphas(&c), alphas(&original));
    let mut c = Canvas::filled(4, 1, [0, 0, 0, 255]);
    for (x, v) in [(0, 100u8), (1, 127), (2, 128), (3, 200)] {
        set(&mut c, x, 0, [v, v, v, 255]);
    }
    let mut doubled = c.clone();
    ops::contrast(&mut doubled, 50);
    // 127.5 + (c − 127.5)·2.
    assert_eq!(px(&doubled, 0, 0)[0], 73);
    assert_eq!(px(&doubled, 3, 0)[0], 255);
    ops::contrast(&mut c, 100);
    let row: Vec<u8> = (0..4).map(|x| px(&c, x, 0)[0]).collect();
    assert_eq!(row, [0, 0, 255, 255]);
}

#[test]
fn color_balance_shifts_each_channel() {
    let mut c = Canvas::filled(2, 2, [100, 100, 100, 80]);
    ops::color_balance(&mut c, [100, -20, 0]);
    assert_eq!(px(&c, 1, 1), [255, 49, 100, 80]);
}

#[test]
fn colorize_maps_mid_gray_to_the_colour() {
    let tint = rgb(200, 40, 90);
    // A gray ramp whose median is 128: norm leaves it (almost) in place.
    let mut c = Canvas::transparent(256, 1);
    for x in 0..256u32 {
        let v = x as u8;
        set(&mut c, x, 0, [v, v, v, 255]);
    }
    let params = Colorize {
        color: tint,
        mode: None,
        contrast: None,
    };
    let mut out = c.clone();
    ops::colorize(&mut out, &params);
    // The median is 127, so norm shifts every level up by 0.5/255.
    assert!(px(&out, 0, 0)[..3].iter().all(|&v| v <= 1));
    assert_eq!(px(&out, 255, 0), [255, 255, 255, 255]);
    let mid = px(&out, 128, 0);
    assert!(mid[0].abs_diff(200) <= 2 && mid[1].abs_diff(40) <= 2 && mid[2].abs_diff(90) <= 2);

    // A dark image: norm moves its median to the exact colour; off does not.
    let mut dark = Canvas::filled(3, 1, [40, 40, 40, 255]);
    set(&mut dark, 0, 0, [10, 10, 10, 255]);
    set(&mut dark, 2, 0, [70, 70, 70, 255]);
    let mut norm = dark.clone();
    ops::colorize(&mut norm, &params);
    assert_eq!(px(&norm, 1, 0), [200, 40, 90, 255]);
    let mut off = dark.clone();
    ops::colorize(
        &mut off,
        &Colorize {
            color: tint,
            mode: Some(ColorizeMode::Off),
            contrast: Some(80.0),
        },
    );
    assert!(px(&off, 1, 0)[0] < 100);

    // Contrast 100 stretches the darkest and lightest to black and white.
    let mut full = dark.clone();
    ops::colorize(
        &mut full,
        &Colorize {
            color: tint,
            mode: Some(ColorizeMode::Norm),
            contrast: Some(100.0),
        },
    );
    assert_eq!(px(&full, 0, 0), [0, 0, 0, 255]);
    assert_eq!(px(&full, 1, 0), [200, 40, 90, 255]);
    assert_eq!(px(&full, 2, 0), [255, 255, 255, 255]);
}

#[test]
fn colorize_ignores_transparent_pixels_for_the_median() {
    let tint = rgb(10, 200, 10);
    let mut c = Canvas::filled(5, 1, [0, 0, 0, 0]);
    set(&mut c, 2, 0, [60, 60, 60, 255]);
    ops::colorize(
        &mut c,
        &Colorize {
            color: tint,
            mode: None,
            contrast: None,
        },
    );
    assert_eq!(px(&c, 2, 0), [10, 200, 10, 255]);
    assert_eq!(px(&c, 0, 0)[3], 0);
}

#[test]
fn blur_of_a_white_dot_is_symmetric_and_keeps_energy() {
    // (radius, half-size of the white block): wide blurs get a bigger block
    // so the spread light stays above the 8-bit rounding floor.
    for (radius, half) in [(1.0, 0u32), (3.0, 0), (5.0, 0), (8.0, 0), (20.0, 3)] {
        let n = 81;
        let mut c = Canvas::filled(n, n, [0, 0, 0, 255]);
        for y in 40 - half..=40 + half {
            for x in 40 - half..=40 + half {
                set(&mut c, x, y, [255, 255, 255, 255]);
            }
        }
        let before: u32 = c.data().chunks_exact(4).map(|p| u32::from(p[0])).sum();
        ops::blur(&mut c, radius);
        let energy: u32 = c.data().chunks_exact(4).map(|p| u32::from(p[0])).sum();
        for dy in 0..=40u32 {
            for dx in 0..=40u32 {
                let v = px(&c, 40 + dx, 40 + dy)[0];
                for (x, y) in [(40 - dx, 40 + dy), (40 + dx, 40 - dy), (40 + dy, 40 + dx)] {
                    assert!(
                        px(&c, x, y)[0].abs_diff(v) <= 1,
                        "radius {radius}: asymmetric at {dx},{dy}"
                    );
                }
            }
        }
        // Opaque stays opaque, and grays are gray.
        assert!(
            c.data()
                .chunks_exact(4)
                .all(|p| p[3] == 255 && p[0] == p[1])
        );
        // Rounding to bytes loses a little of the faint tail.
        let lost = before.abs_diff(energy);
        assert!(
            lost <= 20 + before / 20,
            "radius {radius}: energy {before} → {energy}"
        );
        assert!(px(&c, 40, 40)[0] < 255);
    }
}

#[test]
fn blur_of_a_transparent_dot_spreads_alpha_not_black() {
    let mut c = Canvas::transparent(41, 41);
    set(&mut c, 20, 20, [255, 255, 255, 255]);
    ops::blur(&mut c, 4.0);
    let alpha_sum: u32 = alphas(&c).iter().map(|&a| u32::from(a)).sum();
    assert!(alpha_sum.abs_diff(255) <= 30, "alpha energy {alpha_sum}");
    for p in c.data().chunks_exact(4) {
        if p[3] > 0 {
            assert_eq!(&p[..3], &[255, 255, 255]);
        } else {
            assert_eq!(p, [0, 0, 0, 0]);
        }
    }
}

#[test]
fn blur_does_not_darken_a_transparent_bordered_square() {
    for radius in [2.0, 6.0, 30.0] {
        // Garbage colour under the transparent border must not bleed either.
        let mut c = Canvas::filled(40, 40, [0, 0, 255, 0]);
        for y in 10..30 {
            for x in 10..30 {
                set(&mut c, x, y, [255, 128, 0, 255]);
            }
        }
        ops::blur(&mut c, radius);
        for p in c.data().chunks_exact(4) {
            if p[3] > 0 {
                assert!(
                    p[0] == 255 && p[1].abs_diff(128) <= 1 && p[2] == 0,
                    "radius {radius}: colour changed to {p:?}"
                );
            }
        }
        // The edge is soft: alpha fades across the square's border.
        let a_in = px(&c, 20, 20)[3];
        let a_edge = px(&c, 10, 20)[3];
        let a_out = px(&c, 8, 20)[3];
        assert!(a_in > a_edge && a_edge > a_out, "{a_in} {a_edge} {a_out}");
    }
}

#[test]
fn blur_edges_extend_or_fade() {
    let mut extend = Canvas::filled(30, 20, [10, 200, 30, 255]);
    ops::blur(&mut extend, 50.0);
    assert_eq!(extend, Canvas::filled(30, 20, [10, 200, 30, 255]));
    let mut fade = Canvas::filled(30, 20, [10, 200, 30, 255]);
    ops::blur_with_edge(&mut fade, 6.0, BlurEdge::Transparent);
    assert!(px(&fade, 0, 0)[3] < 128);
    assert!(px(&fade, 15, 10)[3] > px(&fade, 0, 10)[3]);
    let [r, g, b, _] = px(&fade, 0, 0);
    assert_eq!([r, g, b], [10, 200, 30]);
}

#[test]
fn blur_large_radius_on_small_canvas() {
    let mut c = photo(7, 5, true);
    ops::blur(&mut c, 100.0);
    // Everything converges towards one colour, and nothing panics.
    let first = px(&c, 0, 0);
    assert!(
        c.data()
            .chunks_exact(4)
            .all(|p| p.iter().zip(first).all(|(a, b)| a.abs_diff(b) <= 8))
    );
}

fn noise_params(amount: u8, distribution: NoiseDistribution, mono: bool) -> Noise {
    Noise {
        amount,
        distribution: Some(distribution),
        mono: Some(mono),
    }
}

#[test]
fn noise_is_deterministic_per_seed_and_keeps_alpha() {
    for distribution in [NoiseDistribution::Uniform, NoiseDistribution::Gaussian] {
        let original = photo(32, 32, true);
        let params = noise_params(30, distribution, false);
        let mut a = original.clone();
        let mut b = original.clone();
        let mut other = original.clone();
        ops::noise(&mut a, &params, 42);
        ops::noise(&mut b, &params, 42);
        ops::noise(&mut other, &params, 43);
        assert_eq!(a, b);
        assert_ne!(a, other);
        assert_ne!(a, original);
        assert_eq!(alphas(&a), alphas(&original));
    }
}

#[test]
fn noise_strength_and_mono() {
    let gray = Canvas::filled(64, 64, [128, 128, 128, 255]);
    for distribution in [NoiseDistribution::Uniform, NoiseDistribution::Gaussian] {
        // Mono noise keeps gray pixels gray.
        let mut mono = gray.clone();
        ops::noise(&mut mono, &noise_params(50, distribution, true), 1);
        assert!(
            mono.data()
                .chunks_exact(4)
                .all(|p| p[0] == p[1] && p[1] == p[2])
        );
        // Colour noise does not.
        let mut colour = gray.clone();
        ops::noise(&mut colour, &noise_params(50, distribution, false), 1);
        assert!(colour.data().chunks_exact(4).any(|p| p[0] != p[1]));
        // Both have standard deviation A/√3 with A = 2.55·amount.
        let amount = 20u8;
        let mut c = gray.clone();
        ops::noise(&mut c, &noise_params(amount, distribution, false), 9);
        let values: Vec<f64> = c
            .data()
            .chunks_exact(4)
            .flat_map(|p| {
                p[..3]
                    .iter()
                    .map(|&v| f64::from(v) - 128.0)
                    .collect::<Vec<_>>()
            })
            .collect();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        let expected = 2.55 * f64::from(amount) / 3f64.sqrt();
        assert!(mean.abs() < 1.0, "{distribution:?} mean {mean}");
        assert!(
            (sd - expected).abs() / expected < 0.05,
            "{distribution:?} sd {sd} vs {expected}"
        );
        // Uniform noise stays within ±A.
        if distribution == NoiseDistribution::Uniform {
            let a = 2.55 * f64::from(amount);
            assert!(values.iter().all(|v| v.abs() <= a + 0.5));
        }
    }
}

#[test]
fn grow_turns_a_dot_into_a_disc_and_erodes_it_away() {
    for r in [1i32, 2, 3, 5, 10] {
        let n = 41;
        let mut c = Canvas::transparent(n, n);
        set(&mut c, 20, 20, [200, 50, 10, 255]);
        let dot = c.clone();
        ops::grow(&mut c, r);
        let covered: Vec<(u32, u32)> = (0..n)
            .flat_map(|y| (0..n).map(move |x| (x, y)))
            .filter(|&(x, y)| px(&c, x, y)[3] > 0)
            .collect();
        let xs = covered.iter().map(|p| p.0);
        let ys = covered.iter().map(|p| p.1);
        let width = xs.clone().max().unwrap_or(0) - xs.min().unwrap_or(0) + 1;
        let height = ys.clone().max().unwrap_or(0) - ys.min().unwrap_or(0) + 1;
        let side = (2 * r + 1) as u32;
        assert_eq!((width, height), (side, side), "r = {r}");
        let ru = r as u32;
        // The centre row and column are full; every covered pixel keeps the
        // dot's colour exactly.
        for d in 0..side {
            assert_eq!(px(&c, 20 - ru + d, 20), [200, 50, 10, 255]);
            assert_eq!(px(&c, 20, 20 - ru + d), [200, 50, 10, 255]);
        }
        for &(x, y) in &covered {
            assert_eq!(px(&c, x, y), [200, 50, 10, 255]);
        }
        // A disc, not a square (beyond r = 1): the corners stay empty.
        if r > 1 {
            assert_eq!(px(&c, 20 + ru, 20 + ru)[3], 0);
        }
        // Symmetric.
        for &(x, y) in &covered {
            assert!(px(&c, 40 - x, y)[3] > 0 && px(&c, y, x)[3] > 0);
        }
        let mut eroded = dot.clone();
        ops::grow(&mut eroded, -r);
        assert_eq!(eroded, Canvas::transparent(n, n));
    }
}

#[test]
fn grow_then_shrink_restores_a_square_and_erosion_spares_canvas_edges() {
    let mut c = Canvas::transparent(30, 30);
    for y in 10..20 {
        for x in 10..20 {
            set(&mut c, x, y, [0, 90, 255, 255]);
        }
    }
    let square = c.clone();
    ops::grow(&mut c, 3);
    assert_eq!(px(&c, 7, 15)[3], 255);
    assert_eq!(px(&c, 6, 15)[3], 0);
    ops::grow(&mut c, -3);
    assert_eq!(c, square);
    // An opaque full-frame canvas is unchanged by erosion.
    let mut full = Canvas::filled(12, 9, [1, 2, 3, 255]);
    ops::grow(&mut full, -4);
    assert_eq!(full, Canvas::filled(12, 9, [1, 2, 3, 255]));
}

#[test]
fn grow_uses_maximum_and_minimum_per_channel() {
    let mut c = Canvas::filled(5, 1, [10, 10, 10, 255]);
    set(&mut c, 2, 0, [250, 0, 250, 255]);
    let mut max = c.clone();
    ops::grow(&mut max, 1);
    assert_eq!(px(&max, 1, 0), [250, 10, 250, 255]);
    assert_eq!(px(&max, 0, 0), [10, 10, 10, 255]);
    let mut min = c.clone();
    ops::grow(&mut min, -1);
    assert_eq!(px(&min, 1, 0), [10, 0, 10, 255]);
}

/// A vertical edge: dark on the left, light on the right.
fn edge_canvas() -> Canvas {
    let mut c = Canvas::filled(20, 6, [60, 60, 60, 255]);
    for y in 0..6 {
        for x in 10..20 {
            set(&mut c, x, y, [180, 180, 180, 255]);
        }
    }
    c
}

#[test]
fn unsharp_mask_increases_contrast_across_an_edge() {
    for mono in [false, true] {
        let original = edge_canvas();
        let mut c = original.clone();
        ops::unsharp_mask(&mut c, &usm(1.0, 1.5, 0, mono), 1.0);
        // Overshoot on both sides, flat areas untouched.
        assert!(px(&c, 9, 3)[0] < 60, "mono {mono}: {:?}", px(&c, 9, 3));
        assert!(px(&c, 10, 3)[0] > 180);
        assert_eq!(px(&c, 2, 3), original.pixel(2, 3).expect("inside"));
        assert_eq!(px(&c, 17, 3), original.pixel(17, 3).expect("inside"));
        assert_eq!(alphas(&c), alphas(&original));
        // Gray stays gray.
        assert!(
            c.data()
                .chunks_exact(4)
                .all(|p| p[0] == p[1] && p[1] == p[2])
        );
    }
    // A bigger amount sharpens more; the radius scale shrinks the radius.
    let mut weak = edge_canvas();
    let mut strong = edge_canvas();
    ops::unsharp_mask(&mut weak, &usm(0.5, 1.5, 0, false), 1.0);
    ops::unsharp_mask(&mut strong, &usm(3.0, 1.5, 0, false), 1.0);
    assert!(px(&strong, 9, 3)[0] < px(&weak, 9, 3)[0]);
    let mut scaled = edge_canvas();
    ops::unsharp_mask(&mut scaled, &usm(1.0, 1.5, 0, false), 0.0);
    assert_eq!(scaled, edge_canvas());
}

#[test]
fn unsharp_mask_threshold_gates_small_differences() {
    let mut c = edge_canvas();
    ops::unsharp_mask(&mut c, &usm(5.0, 2.0, 255, false), 1.0);
    assert_eq!(c, edge_canvas());
    let mut c = edge_canvas();
    ops::unsharp_mask(&mut c, &usm(5.0, 2.0, 255, true), 1.0);
    assert_eq!(c, edge_canvas());
    // A texture is sharpened at threshold 0 and left alone at 255.
    let texture = photo(20, 20, false);
    let mut low = texture.clone();
    ops::unsharp_mask(&mut low, &usm(1.0, 1.0, 0, false), 1.0);
    assert_ne!(low, texture);
    let mut high = texture.clone();
    ops::unsharp_mask(&mut high, &usm(1.0, 1.0, 255, false), 1.0);
    assert_eq!(high, texture);
}

#[test]
fn unsharp_mask_ignores_transparent_neighbours() {
    // An opaque gray square on transparent garbage: nothing to sharpen.
    let mut c = Canvas::filled(20, 20, [255, 0, 255, 0]);
    for y in 5..15 {
        for x in 5..15 {
            set(&mut c, x, y, [100, 100, 100, 255]);
        }
    }
    let original = c.clone();
    ops::unsharp_mask(&mut c, &usm(4.0, 3.0, 0, false), 1.0);
    assert_eq!(c, original);
    let mut s = original.clone();
    ops::sharpen(&mut s);
    assert_eq!(s, original);
}

#[test]
fn sharpen_is_the_classic_kernel_on_opaque_pixels() {
    let mut c = Canvas::filled(3, 3, [100, 100, 100, 255]);
    set(&mut c, 1, 1, [120, 100, 90, 255]);
    set(&mut c, 1, 0, [80, 100, 100, 255]);
    ops::sharpen(&mut c);
    // 5·120 − (80 + 100 + 100 + 100) = 220; 5·100 − 400 = 100; 5·90 − 400 = 50.
    assert_eq!(px(&c, 1, 1), [220, 100, 50, 255]);
    // An edge gets steeper; flat areas stay flat.
    let mut e = edge_canvas();
    ops::sharpen(&mut e);
    assert!(px(&e, 9, 3)[0] < 60 && px(&e, 10, 3)[0] > 180);
    assert_eq!(px(&e, 3, 3), [60, 60, 60, 255]);
}

/// An operation under test.
type Op = dyn Fn(&mut Canvas);

#[test]
fn colour_ops_keep_alpha() {
    let original = photo(17, 13, true);
    let tint = rgb(1, 2, 3);
    let ops_list: Vec<Box<Op>> = vec![
        Box::new(|c: &mut Canvas| ops::brightness(c, 37)),
        Box::new(|c: &mut Canvas| ops::contrast(c, -40)),
        Box::new(|c: &mut Canvas| ops::color_balance(c, [10, -10, 50])),
        Box::new(move |c: &mut Canvas| {
            ops::colorize(
                c,
                &Colorize {
                    color: tint,
                    mode: None,
                    contrast: Some(50.0),
                },
            )
        }),
        Box::new(|c: &mut Canvas| ops::hue(c, 33)),
        Box::new(|c: &mut Canvas| ops::saturation(c, 70)),
        Box::new(ops::invert),
        Box::new(|c: &mut Canvas| {
            ops::noise(c, &noise_params(80, NoiseDistribution::Gaussian, true), 5)
        }),
        Box::new(ops::sharpen),
        Box::new(|c: &mut Canvas| ops::unsharp_mask(c, &usm(2.0, 2.0, 3, false), 0.5)),
    ];
    for op in ops_list {
        let mut c = original.clone();
        op(&mut c);
        assert_eq!(alphas(&c), alphas(&original));
    }
}

/// Release-mode timings for the report:
/// `cargo test --release --test pixel_ops -- --ignored --nocapture`.
#[test]
#[ignore = "timing run, not a check"]
fn timings() {
    use std::time::Instant;
    let base = photo(1000, 750, true);
    let time = |name: &str, f: &dyn Fn(&mut Canvas)| {
        let mut best = f64::MAX;
        for _ in 0..5 {
            let mut c = base.clone();
            let start = Instant::now();
            f(&mut c);
            best = best.min(start.elapsed().as_secs_f64() * 1000.0);
        }
        println!("{name:<28} {best:8.2} ms (best of 5, 1000x750)");
    };
    time("blur r=1", &|c: &mut Canvas| ops::blur(c, 1.0));
    time("blur r=5", &|c: &mut Canvas| ops::blur(c, 5.0));
    time("blur r=50", &|c: &mut Canvas| ops::blur(c, 50.0));
    time("blur r=100", &|c: &mut Canvas| ops::blur(c, 100.0));
    time("grow r=3", &|c: &mut Canvas| ops::grow(c, 3));
    time("grow r=20", &|c: &mut Canvas| ops::grow(c, 20));
    time("grow r=-100", &|c: &mut Canvas| ops::grow(c, -100));
    time("usm 1.75,2,0", &|c: &mut Canvas| {
        ops::unsharp_mask(c, &usm(1.75, 2.0, 0, false), 1.0)
    });
    time("sharpen", &ops::sharpen);
    time("hue 90", &|c: &mut Canvas| ops::hue(c, 90));
    time("saturation 50", &|c: &mut Canvas| ops::saturation(c, 50));
    time("noise gaussian", &|c: &mut Canvas| {
        ops::noise(c, &noise_params(30, NoiseDistribution::Gaussian, false), 1)
    });
    time("colorize norm,50", &|c: &mut Canvas| {
        ops::colorize(
            c,
            &Colorize {
                color: rgb(200, 40, 90),
                mode: None,
                contrast: Some(50.0),
            },
        )
    });
}
