//! Geometric pixel operations on a `Canvas`: crop with extension, placement,
//! flips, rotation, extension, colour fills and resampling of a sub-region.
//!
//! Every function takes sizes and offsets already decided by `plan`; none of
//! them chooses a size. Areas outside the source become transparent, and
//! resampling premultiplies alpha so transparent pixels never bleed.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::{Canvas, RenderError};
use crate::plan::PixelRect;
use crate::protocol::ast::{Flip, ResMode};

/// The resampling filter of a `resMode` (§3.1).
///
/// `bilin` is bilinear, `bicub` Catmull-Rom, `sharp2` Lanczos-3; `bisharp`
/// (Photoshop's "bicubic sharper") is Catmull-Rom for enlargements and
/// Lanczos-3 for reductions; the deprecated `sharp` is read as `sharp2`.
pub fn filter_for(mode: Option<ResMode>, reducing: bool) -> FilterType {
    match mode {
        Some(ResMode::Bilin) => FilterType::Bilinear,
        Some(ResMode::Sharp2 | ResMode::Sharp) => FilterType::Lanczos3,
        Some(ResMode::Bisharp) if reducing => FilterType::Lanczos3,
        Some(ResMode::Bisharp | ResMode::Bicub) | None => FilterType::CatmullRom,
    }
}

/// Copies the part of `src` under `rect` (which may extend past it) into a
/// new `rect.w`×`rect.h` canvas; outside the source stays transparent.
pub fn crop(src: &Canvas, rect: PixelRect) -> Canvas {
    if rect.x == 0 && rect.y == 0 && (rect.w, rect.h) == src.size() {
        return src.clone();
    }
    let mut out = Canvas::transparent(rect.w, rect.h);
    blit(src, &mut out, -rect.x, -rect.y);
    out
}

/// Copies `src` onto `dst` with its top-left at (`x`, `y`), replacing pixels.
pub fn blit(src: &Canvas, dst: &mut Canvas, x: i64, y: i64) {
    let (sw, sh) = (i64::from(src.width()), i64::from(src.height()));
    let (dw, dh) = (i64::from(dst.width()), i64::from(dst.height()));
    let left = x.max(0);
    let top = y.max(0);
    let right = (x + sw).min(dw);
    let bottom = (y + sh).min(dh);
    if left >= right || top >= bottom {
        return;
    }
    let row_bytes = ((right - left) * 4) as usize;
    for dy in top..bottom {
        let sy = dy - y;
        let s_off = ((sy * sw + (left - x)) * 4) as usize;
        let d_off = ((dy * dw + left) * 4) as usize;
        let (Some(s), Some(d)) = (
            src.data().get(s_off..s_off + row_bytes),
            dst.data_mut().get_mut(d_off..d_off + row_bytes),
        ) else {
            continue;
        };
        d.copy_from_slice(s);
    }
}

/// Places `src` in a `width`×`height` transparent canvas at (`x`, `y`).
pub fn place(src: &Canvas, width: u32, height: u32, x: i64, y: i64) -> Canvas {
    if x == 0 && y == 0 && src.size() == (width, height) {
        return src.clone();
    }
    let mut out = Canvas::transparent(width, height);
    blit(src, &mut out, x, y);
    out
}

/// Mirrors a canvas: `lr` horizontally, `ud` vertically, `lrud` both.
pub fn flip(canvas: &mut Canvas, how: Flip) {
    let (w, h) = (canvas.width() as usize, canvas.height() as usize);
    let data = canvas.data_mut();
    if matches!(how, Flip::Lr | Flip::Lrud) {
        for row in data.chunks_exact_mut(w * 4) {
            for x in 0..w / 2 {
                for c in 0..4 {
                    row.swap(x * 4 + c, (w - 1 - x) * 4 + c);
                }
            }
        }
    }
    if matches!(how, Flip::Ud | Flip::Lrud) {
        for y in 0..h / 2 {
            let (top, bottom) = data.split_at_mut((h - 1 - y) * w * 4);
            top[y * w * 4..(y + 1) * w * 4].swap_with_slice(&mut bottom[..w * 4]);
        }
    }
}

/// Composites `canvas` over an opaque or translucent colour (for `color=` and
/// `bgColor=` fills): the colour shows where the canvas is transparent.
pub fn fill_behind(canvas: &mut Canvas, rgba: [u8; 4]) {
    if rgba[3] == 0 {
        return;
    }
    for p in canvas.data_mut().chunks_exact_mut(4) {
        let a = u32::from(p[3]);
        if a == 255 {
            continue;
        }
        let ba = u32::from(rgba[3]) * (255 - a) / 255;
        let out_a = a + ba;
        if out_a == 0 {
            continue;
        }
        for c in 0..3 {
            let v = (u32::from(p[c]) * a + u32::from(rgba[c]) * ba) / out_a;
            p[c] = v.min(255) as u8;
        }
        p[3] = out_a.min(255) as u8;
    }
}

/// Rotates clockwise by `degrees` about the centre into a `to` canvas,
/// centred; quarter turns are exact, other angles sample bilinearly with
/// premultiplied alpha. Uncovered corners are transparent.
pub fn rotate(src: &Canvas, degrees: f64, to: (u32, u32)) -> Canvas {
    let turns = (degrees / 90.0).round();
    if (degrees - turns * 90.0).abs() < 1e-9 {
        let quarter = (turns as i64).rem_euclid(4);
        let rotated = rotate_quarters(src, quarter);
        let x = (i64::from(to.0) - i64::from(rotated.width())) / 2;
        let y = (i64::from(to.1) - i64::from(rotated.height())) / 2;
        return place(&rotated, to.0, to.1, x, y);
    }
    let (sw, sh) = (src.width() as usize, src.height() as usize);
    let (tw, th) = (to.0 as usize, to.1 as usize);
    let theta = degrees.to_radians();
    let (sin, cos) = theta.sin_cos();
    let (scx, scy) = (sw as f64 / 2.0, sh as f64 / 2.0);
    let (tcx, tcy) = (tw as f64 / 2.0, th as f64 / 2.0);
    let mut out = Canvas::transparent(to.0, to.1);
    let data = src.data();
    let sample = |x: i64, y: i64| -> [f64; 4] {
        if x < 0 || y < 0 || x >= sw as i64 || y >= sh as i64 {
            return [0.0; 4];
        }
        let i = (y as usize * sw + x as usize) * 4;
        let a = f64::from(data[i + 3]) / 255.0;
        [
            f64::from(data[i]) * a,
            f64::from(data[i + 1]) * a,
            f64::from(data[i + 2]) * a,
            a,
        ]
    };
    let out_data = out.data_mut();
    for ty in 0..th {
        for tx in 0..tw {
            // Inverse rotation of the target pixel centre into the source.
            let dx = tx as f64 + 0.5 - tcx;
            let dy = ty as f64 + 0.5 - tcy;
            let sx = dx * cos + dy * sin + scx - 0.5;
            let sy = -dx * sin + dy * cos + scy - 0.5;
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let mut acc = [0.0; 4];
            for (xo, yo, w) in [
                (0, 0, (1.0 - fx) * (1.0 - fy)),
                (1, 0, fx * (1.0 - fy)),
                (0, 1, (1.0 - fx) * fy),
                (1, 1, fx * fy),
            ] {
                let s = sample(x0 + xo, y0 + yo);
                for c in 0..4 {
                    acc[c] += s[c] * w;
                }
            }
            if acc[3] <= 0.0 {
                continue;
            }
            let i = (ty * tw + tx) * 4;
            for c in 0..3 {
                out_data[i + c] = (acc[c] / acc[3]).round().clamp(0.0, 255.0) as u8;
            }
            out_data[i + 3] = (acc[3] * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

fn rotate_quarters(src: &Canvas, quarter: i64) -> Canvas {
    let (w, h) = (src.width() as usize, src.height() as usize);
    match quarter {
        0 => src.clone(),
        2 => {
            let mut out = src.clone();
            flip(&mut out, Flip::Lrud);
            out
        }
        _ => {
            let mut out = Canvas::transparent(h as u32, w as u32);
            let s = src.data();
            let d = out.data_mut();
            for y in 0..h {
                for x in 0..w {
                    // Clockwise: (x, y) → (h-1-y, x); counter-clockwise: (y, w-1-x).
                    let (nx, ny) = if quarter == 1 {
                        (h - 1 - y, x)
                    } else {
                        (y, w - 1 - x)
                    };
                    let si = (y * w + x) * 4;
                    let di = (ny * h + nx) * 4;
                    d[di..di + 4].copy_from_slice(&s[si..si + 4]);
                }
            }
            out
        }
    }
}

/// Scratch memory a thread's resizer may keep between requests.
const MAX_KEPT_RESIZER_BYTES: usize = 32 << 20;

thread_local! {
    /// One resizer per render thread: it keeps its scratch buffers and the
    /// CPU-extension choice between requests.
    static RESIZER: std::cell::RefCell<Resizer> = std::cell::RefCell::new(Resizer::new());
}

/// Resamples the region (`x`, `y`, `w`, `h`, fractional, in `src` pixels) to
/// exactly `width`×`height`.
pub fn resample(
    src: &Canvas,
    region: (f64, f64, f64, f64),
    width: u32,
    height: u32,
    filter: FilterType,
) -> Result<Canvas, RenderError> {
    let whole = region.0 == 0.0
        && region.1 == 0.0
        && region.2 == f64::from(src.width())
        && region.3 == f64::from(src.height());
    if whole && (width, height) == src.size() {
        return Ok(src.clone());
    }
    let view = fast_image_resize::images::ImageRef::new(
        src.width(),
        src.height(),
        src.data(),
        PixelType::U8x4,
    )
    .map_err(|e| RenderError::Resize(e.to_string()))?;
    let mut dst = Image::new(width, height, PixelType::U8x4);
    // Premultiplying is only needed when some pixel is not opaque; opaque
    // photos skip two passes over the pixels.
    let mut options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(filter))
        .use_alpha(src.has_transparency());
    if !whole {
        options = options.crop(region.0, region.1, region.2, region.3);
    }
    RESIZER
        .with_borrow_mut(|resizer| {
            let resized = resizer.resize(&view, &mut dst, &options);
            // Scratch buffers grow to the largest source seen; a huge one
            // is not kept for the life of the thread.
            if resizer.size_of_internal_buffers() > MAX_KEPT_RESIZER_BYTES {
                resizer.reset_internal_buffers();
            }
            resized
        })
        .map_err(|e| RenderError::Resize(e.to_string()))?;
    Canvas::from_rgba(width, height, dst.into_vec())
        .ok_or_else(|| RenderError::Resize("resized buffer has the wrong size".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(w: u32, h: u32) -> Canvas {
        let mut c = Canvas::filled(w, h, [0, 0, 255, 255]);
        c.data_mut()[..4].copy_from_slice(&[255, 0, 0, 255]);
        c
    }

    #[test]
    fn crop_extends_with_transparency() {
        let c = crop(&marked(4, 3), PixelRect::new(-1, -1, 3, 3));
        assert_eq!(c.pixel(0, 0), Some([0, 0, 0, 0]));
        assert_eq!(c.pixel(1, 1), Some([255, 0, 0, 255]));
    }

    #[test]
    fn flips_and_quarter_turns_move_the_marker() {
        let mut c = marked(4, 3);
        flip(&mut c, Flip::Lr);
        assert_eq!(c.pixel(3, 0), Some([255, 0, 0, 255]));
        flip(&mut c, Flip::Ud);
        assert_eq!(c.pixel(3, 2), Some([255, 0, 0, 255]));
        let r = rotate(&marked(4, 3), 90.0, (3, 4));
        assert_eq!(r.pixel(2, 0), Some([255, 0, 0, 255]));
        let r = rotate(&marked(4, 3), -90.0, (3, 4));
        assert_eq!(r.pixel(0, 3), Some([255, 0, 0, 255]));
    }

    #[test]
    fn arbitrary_rotation_keeps_the_centre_and_clears_corners() {
        let src = Canvas::filled(10, 10, [10, 200, 30, 255]);
        let r = rotate(&src, 45.0, (15, 15));
        assert_eq!(r.pixel(7, 7), Some([10, 200, 30, 255]));
        assert_eq!(r.pixel(0, 0).map(|p| p[3]), Some(0));
    }

    #[test]
    fn fills_show_only_through_transparency() {
        let mut c = Canvas::transparent(1, 1);
        fill_behind(&mut c, [9, 8, 7, 255]);
        assert_eq!(c.pixel(0, 0), Some([9, 8, 7, 255]));
        let mut c = Canvas::filled(1, 1, [1, 2, 3, 255]);
        fill_behind(&mut c, [9, 8, 7, 255]);
        assert_eq!(c.pixel(0, 0), Some([1, 2, 3, 255]));
    }

    #[test]
    fn resample_region_scales_exactly() {
        let src = marked(8, 8);
        let out = resample(&src, (0.0, 0.0, 4.0, 4.0), 2, 2, FilterType::Bilinear).unwrap();
        assert_eq!(out.size(), (2, 2));
    }
}
