//! Generates the test images in `fixtures/`.
//!
//! Run with `cargo run --release --example make_fixtures`. The output is
//! deterministic: every random choice comes from a fixed-seed PRNG written
//! below, and the encoders are given fixed settings. This example only writes
//! into the crate's `fixtures/` directory and must never read anything else.

use std::error::Error;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, GrayImage, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

/// A tiny xorshift64* generator, so the fixtures never depend on a crate's RNG.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A uniform value in `[0, 1)`.
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// A uniform value in `[-1, 1)`.
    fn signed(&mut self) -> f32 {
        self.unit() * 2.0 - 1.0
    }
}

/// Smooth value noise on a lattice of `cell` pixels, seeded by a table.
struct ValueNoise {
    table: Vec<f32>,
    size: usize,
}

impl ValueNoise {
    fn new(rng: &mut Rng, size: usize) -> Self {
        let table = (0..size * size).map(|_| rng.unit()).collect();
        ValueNoise { table, size }
    }

    fn at(&self, x: f32, y: f32) -> f32 {
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
        let n = self.size as i64;
        let idx = |ix: i64, iy: i64| -> f32 {
            let (ix, iy) = (ix.rem_euclid(n) as usize, iy.rem_euclid(n) as usize);
            self.table[iy * self.size + ix]
        };
        let (ix, iy) = (x0 as i64, y0 as i64);
        let top = lerp(idx(ix, iy), idx(ix + 1, iy), sx);
        let bottom = lerp(idx(ix, iy + 1), idx(ix + 1, iy + 1), sx);
        lerp(top, bottom, sy)
    }

    /// Fractal sum of four octaves, roughly in `[0, 1]`.
    fn fbm(&self, x: f32, y: f32) -> f32 {
        let mut sum = 0.0;
        let mut amp = 0.5;
        let mut freq = 1.0;
        for _ in 0..4 {
            sum += amp * self.at(x * freq, y * freq);
            amp *= 0.5;
            freq *= 2.0;
        }
        sum / 0.9375
    }
}

fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        lerp(a[0], b[0], t),
        lerp(a[1], b[1], t),
        lerp(a[2], b[2], t),
    ]
}

fn to_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

fn rgb(c: [f32; 3]) -> Rgb<u8> {
    Rgb([to_u8(c[0]), to_u8(c[1]), to_u8(c[2])])
}

/// Coverage of a pixel by a shape, from 4×4 supersampling.
fn coverage(px: u32, py: u32, inside: impl Fn(f32, f32) -> bool) -> f32 {
    let mut hits = 0;
    for sy in 0..4 {
        for sx in 0..4 {
            let x = px as f32 + (sx as f32 + 0.5) / 4.0;
            let y = py as f32 + (sy as f32 + 0.5) / 4.0;
            if inside(x, y) {
                hits += 1;
            }
        }
    }
    hits as f32 / 16.0
}

/// A landscape: sky gradient, sun with glow, two hill ranges, trees, a house.
fn photo() -> RgbImage {
    let (w, h) = (400u32, 300u32);
    let mut rng = Rng::new(0x5EED_0001);
    let noise = ValueNoise::new(&mut rng, 64);
    let grain = ValueNoise::new(&mut rng, 64);
    let sun = (300.0f32, 80.0f32, 28.0f32);

    // Ridge lines of the far and near hills, one height per column.
    let far: Vec<f32> = (0..w)
        .map(|x| {
            let x = x as f32;
            175.0
                + 18.0 * (x / 57.0).sin()
                + 9.0 * (x / 23.0 + 1.0).sin()
                + 12.0 * noise.fbm(x / 40.0, 3.0)
        })
        .collect();
    let near: Vec<f32> = (0..w)
        .map(|x| {
            let x = x as f32;
            225.0
                + 22.0 * (x / 81.0 + 2.0).sin()
                + 6.0 * (x / 17.0).cos()
                + 10.0 * noise.fbm(x / 30.0, 9.0)
        })
        .collect();

    let mut img = RgbImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        // Sky: deep blue at the top, pale near the horizon, warm near the sun.
        let t = (fy / 200.0).min(1.0);
        let mut c = mix([40.0, 90.0, 170.0], [200.0, 220.0, 235.0], t * t);
        let d = ((fx - sun.0).powi(2) + (fy - sun.1).powi(2)).sqrt();
        let glow = (1.0 - d / 140.0).max(0.0).powi(2);
        c = mix(c, [255.0, 230.0, 170.0], glow * 0.7);
        let disc = (sun.2 + 0.5 - d).clamp(0.0, 1.0);
        c = mix(c, [255.0, 250.0, 225.0], disc);
        // A few soft clouds.
        let cloud = (noise.fbm(fx / 60.0, fy / 25.0) - 0.55).max(0.0) * 3.0 * (1.0 - t);
        c = mix(c, [250.0, 250.0, 252.0], cloud.min(0.8));

        // Far hills: bluish green with a fine texture.
        let xi = x as usize;
        let far_cov = (fy - far[xi]).clamp(0.0, 1.0);
        if far_cov > 0.0 {
            let tex = grain.fbm(fx / 6.0, fy / 6.0);
            let hill = mix([70.0, 110.0, 95.0], [95.0, 135.0, 110.0], tex);
            c = mix(c, hill, far_cov);
        }
        // Near hills: greener, darker at the bottom, with coarse grass noise.
        let near_cov = (fy - near[xi]).clamp(0.0, 1.0);
        if near_cov > 0.0 {
            let tex = grain.fbm(fx / 3.0, fy / 2.0);
            let depth = ((fy - near[xi]) / 80.0).min(1.0);
            let hill = mix([90.0, 150.0, 60.0], [40.0, 85.0, 30.0], depth);
            let hill = mix(hill, [130.0, 175.0, 80.0], tex * 0.6);
            c = mix(c, hill, near_cov);
        }
        *p = rgb(c);
    }

    // Trees on the near ridge: dark triangles with antialiased edges.
    for i in 0..14 {
        let tx = 12.0 + i as f32 * 27.0 + rng.signed() * 8.0;
        let base = near[(tx.clamp(0.0, (w - 1) as f32)) as usize] + 4.0;
        let th = 26.0 + rng.unit() * 18.0;
        let tw = th * 0.35;
        let shade = 0.8 + rng.unit() * 0.3;
        let top = base - th;
        let (x0, x1) = (
            (tx - tw).floor().max(0.0) as u32,
            (tx + tw).ceil().min((w - 1) as f32) as u32,
        );
        let (y0, y1) = (
            top.floor().max(0.0) as u32,
            base.ceil().min((h - 1) as f32) as u32,
        );
        for y in y0..=y1 {
            for x in x0..=x1 {
                let cov = coverage(x, y, |px, py| {
                    py <= base && py >= top && (px - tx).abs() <= tw * (py - top) / th
                });
                if cov > 0.0 {
                    let p = img.get_pixel_mut(x, y);
                    let tree = [25.0 * shade, 60.0 * shade, 30.0 * shade];
                    let old = [p[0] as f32, p[1] as f32, p[2] as f32];
                    *p = rgb(mix(old, tree, cov));
                }
            }
        }
    }

    // A small house with a red roof and lit windows: sharp edges for sharpening tests.
    let (hx, hy, hw, hh) = (70u32, 232u32, 44u32, 30u32);
    for y in hy..hy + hh {
        for x in hx..hx + hw {
            img.put_pixel(x, y, Rgb([225, 215, 190]));
        }
    }
    for y in hy - 18..hy {
        for x in hx - 4..hx + hw + 4 {
            let cov = coverage(x, y, |px, py| {
                let cx = hx as f32 + hw as f32 / 2.0;
                let half = (hw as f32 / 2.0 + 4.0) * (py - (hy - 18) as f32) / 18.0;
                (px - cx).abs() <= half
            });
            if cov > 0.0 {
                let p = img.get_pixel_mut(x, y);
                let old = [p[0] as f32, p[1] as f32, p[2] as f32];
                *p = rgb(mix(old, [170.0, 45.0, 35.0], cov));
            }
        }
    }
    for (wx, wy) in [(hx + 6, hy + 8), (hx + 30, hy + 8)] {
        for y in wy..wy + 9 {
            for x in wx..wx + 8 {
                let frame = x == wx + 3 || y == wy + 4;
                img.put_pixel(
                    x,
                    y,
                    if frame {
                        Rgb([80, 60, 40])
                    } else {
                        Rgb([250, 210, 90])
                    },
                );
            }
        }
    }
    for y in hy + 12..hy + hh {
        for x in hx + 18..hx + 26 {
            img.put_pixel(x, y, Rgb([110, 70, 40]));
        }
    }

    // Film grain over everything, so JPEG and sharpening have texture to work on.
    for p in img.pixels_mut() {
        let n = rng.signed() * 4.0;
        for ch in p.0.iter_mut() {
            *ch = to_u8(*ch as f32 + n);
        }
    }
    img
}

/// A logo: a soft shadow, an opaque orange disc, a half-transparent blue
/// diamond over it and a ring with a gap; the background is fully transparent.
fn logo() -> RgbaImage {
    let (w, h) = (200u32, 200u32);
    let (cx, cy) = (100.0f32, 100.0f32);
    let mut img = RgbaImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels_mut() {
        // Start from transparent black and composite shapes with "over".
        let mut acc = [0.0f32; 4];
        let mut over = |c: [f32; 3], a: f32| {
            let out_a = a + acc[3] * (1.0 - a);
            if out_a > 0.0 {
                for i in 0..3 {
                    acc[i] = (c[i] * a + acc[i] * acc[3] * (1.0 - a)) / out_a;
                }
            }
            acc[3] = out_a;
        };
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        // Soft drop shadow, offset down and right.
        let ds = ((fx - cx - 6.0).powi(2) + (fy - cy - 8.0).powi(2)).sqrt();
        let shadow = ((78.0 - ds) / 14.0).clamp(0.0, 1.0) * 0.35;
        over([0.0, 0.0, 0.0], shadow);
        // Opaque disc with an antialiased edge.
        let disc = coverage(x, y, |px, py| {
            (px - cx).powi(2) + (py - cy).powi(2) <= 70.0f32.powi(2)
        });
        let shade = 1.0 - (fy - 30.0) / 280.0;
        over([250.0 * shade, 140.0 * shade, 30.0 * shade], disc);
        // Half-transparent diamond.
        let diamond = coverage(x, y, |px, py| (px - cx).abs() + (py - cy).abs() <= 52.0);
        over([30.0, 80.0, 220.0], diamond * 0.55);
        // White ring with a gap on the right, so rotations and flips show.
        let ring = coverage(x, y, |px, py| {
            let r = ((px - cx).powi(2) + (py - cy).powi(2)).sqrt();
            (28.0..=36.0).contains(&r) && !(px > cx && (py - cy).abs() < 8.0)
        });
        over([255.0, 255.0, 255.0], ring);
        *p = Rgba([
            to_u8(acc[0]),
            to_u8(acc[1]),
            to_u8(acc[2]),
            to_u8(acc[3] * 255.0),
        ]);
    }
    img
}

/// Grayscale: a left-to-right ramp on top, concentric rings and a checker below.
fn gray() -> GrayImage {
    let (w, h) = (256u32, 192u32);
    let mut img = GrayImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let v = if y < 64 {
            // The ramp: the value equals the column.
            x as f32
        } else if x < 128 {
            let (dx, dy) = (x as f32 - 64.0 + 0.5, y as f32 - 128.0 + 0.5);
            let r = (dx * dx + dy * dy).sqrt();
            127.5 + 127.5 * (r / 4.0).cos()
        } else if ((x - 128) / 16 + (y - 64) / 16) % 2 == 0 {
            40.0
        } else {
            215.0
        };
        p.0[0] = to_u8(v);
    }
    // Black marker with a white centre in the top-left corner.
    mark_gray(&mut img, 16);
    img
}

fn mark_gray(img: &mut GrayImage, size: u32) {
    for y in 0..size {
        for x in 0..size {
            let inner = x >= size / 4 && x < size * 3 / 4 && y >= size / 4 && y < size * 3 / 4;
            img.put_pixel(x, y, image::Luma([if inner { 255 } else { 0 }]));
        }
    }
}

/// A square of `outer` colour with a white centre in the top-left corner.
fn mark_rgb(img: &mut RgbImage, size: u32, outer: [u8; 3]) {
    for y in 0..size {
        for x in 0..size {
            let inner = x >= size / 4 && x < size * 3 / 4 && y >= size / 4 && y < size * 3 / 4;
            img.put_pixel(
                x,
                y,
                if inner {
                    Rgb([255, 255, 255])
                } else {
                    Rgb(outer)
                },
            );
        }
    }
}

/// Portrait: eight horizontal colour bands with a diagonal stripe and a marker.
fn tall() -> RgbImage {
    let (w, h) = (150u32, 400u32);
    let bands: [[u8; 3]; 8] = [
        [235, 235, 235],
        [235, 220, 40],
        [40, 200, 220],
        [40, 190, 60],
        [200, 50, 200],
        [220, 60, 40],
        [40, 60, 210],
        [30, 30, 30],
    ];
    let mut img = RgbImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let band = bands[(y / 50) as usize];
        // A dark diagonal stripe from top-left to bottom-right.
        let on_stripe = ((x as i32 * 8 / 3) - y as i32).abs() < 6;
        *p = if on_stripe {
            Rgb([10, 10, 10])
        } else {
            Rgb(band)
        };
    }
    mark_rgb(&mut img, 24, [220, 20, 20]);
    img
}

/// Landscape: a two-colour checker over a hue ramp, with a marker.
fn wide() -> RgbImage {
    let (w, h) = (480u32, 120u32);
    let mut img = RgbImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let t = x as f32 / (w - 1) as f32;
        let ramp = hue(t);
        let dark = ((x / 20) + (y / 20)) % 2 == 0;
        let k = if dark { 0.55 } else { 1.0 };
        *p = rgb([ramp[0] * k, ramp[1] * k, ramp[2] * k]);
    }
    mark_rgb(&mut img, 24, [0, 0, 0]);
    img
}

/// A fully saturated hue at `t` in `[0, 1]`, as RGB in `[0, 255]`.
fn hue(t: f32) -> [f32; 3] {
    let h = t * 6.0;
    let f = |n: f32| {
        let k = (n + h) % 6.0;
        255.0 * (1.0 - (k.min(4.0 - k).clamp(0.0, 1.0)))
    };
    [f(5.0), f(3.0), f(1.0)]
}

fn write_jpeg(path: &Path, img: &RgbImage, quality: u8) -> Result<(), Box<dyn Error>> {
    let out = BufWriter::new(File::create(path)?);
    JpegEncoder::new_with_quality(out, quality).write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        ExtendedColorType::Rgb8,
    )?;
    Ok(())
}

fn write_png(
    path: &Path,
    raw: &[u8],
    w: u32,
    h: u32,
    color: ExtendedColorType,
) -> Result<(), Box<dyn Error>> {
    let out = BufWriter::new(File::create(path)?);
    PngEncoder::new_with_quality(out, CompressionType::Best, FilterType::Adaptive)
        .write_image(raw, w, h, color)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    std::fs::create_dir_all(&dir)?;

    let photo = photo();
    write_jpeg(&dir.join("photo.jpg"), &photo, 90)?;
    let logo = logo();
    write_png(
        &dir.join("logo.png"),
        logo.as_raw(),
        logo.width(),
        logo.height(),
        ExtendedColorType::Rgba8,
    )?;
    let gray = gray();
    write_png(
        &dir.join("gray.png"),
        gray.as_raw(),
        gray.width(),
        gray.height(),
        ExtendedColorType::L8,
    )?;
    let tall = tall();
    write_jpeg(&dir.join("tall.jpg"), &tall, 90)?;
    let wide = wide();
    write_png(
        &dir.join("wide.png"),
        wide.as_raw(),
        wide.width(),
        wide.height(),
        ExtendedColorType::Rgb8,
    )?;

    for name in ["photo.jpg", "logo.png", "gray.png", "tall.jpg", "wide.png"] {
        let len = std::fs::metadata(dir.join(name))?.len();
        println!("{name}: {len} bytes");
    }
    Ok(())
}
