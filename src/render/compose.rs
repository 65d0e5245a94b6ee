//! Placing a scaled image into the reply frame.
//!
//! The frame is the view of spec §4.7: the scaled image sits at the view's
//! offset and the rest is padding. Opaque formats get `bgc` padding and have
//! transparency flattened onto `bgc`; alpha formats get transparent padding.
//! This module must never allocate more than the view it is given.

use super::thin::View;

/// Copies the scaled RGBA8 image into a transparent RGBA8 frame.
pub(crate) fn place_rgba(image: &[u8], view: &View) -> Vec<u8> {
    if (view.width, view.height) == (view.image_width, view.image_height) {
        return image.to_vec();
    }
    let frame_stride = view.width as usize * 4;
    let image_stride = view.image_width as usize * 4;
    let mut frame = vec![0u8; frame_stride * view.height as usize];
    for (row, src) in image.chunks_exact(image_stride).enumerate() {
        let start = (view.top as usize + row) * frame_stride + view.left as usize * 4;
        if let Some(dst) = frame.get_mut(start..start + image_stride) {
            dst.copy_from_slice(src);
        }
    }
    frame
}

/// Composites the scaled RGBA8 image over an opaque `bgc` RGB8 frame.
pub(crate) fn flatten_rgb(image: &[u8], view: &View, bgc: [u8; 3]) -> Vec<u8> {
    let frame_stride = view.width as usize * 3;
    let image_stride = view.image_width as usize * 4;
    let mut frame = bgc.repeat(view.width as usize * view.height as usize);
    for (row, src) in image.chunks_exact(image_stride).enumerate() {
        let start = (view.top as usize + row) * frame_stride + view.left as usize * 3;
        let len = view.image_width as usize * 3;
        let Some(dst) = frame.get_mut(start..start + len) else {
            continue;
        };
        for (d, s) in dst.chunks_exact_mut(3).zip(src.chunks_exact(4)) {
            let alpha = u32::from(s[3]);
            for i in 0..3 {
                let blended = u32::from(s[i]) * alpha + u32::from(bgc[i]) * (255 - alpha);
                // Rounded division by 255; the result always fits in a byte.
                d[i] = ((blended + 127) / 255) as u8;
            }
        }
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(width: u32, height: u32, iw: u32, ih: u32, left: u32, top: u32) -> View {
        View {
            width,
            height,
            image_width: iw,
            image_height: ih,
            left,
            top,
        }
    }

    #[test]
    fn flatten_blends_alpha_onto_bgc() {
        let image = [255, 0, 0, 255, 255, 0, 0, 0, 0, 255, 0, 128];
        let out = flatten_rgb(&image, &view(3, 1, 3, 1, 0, 0), [0, 0, 255]);
        assert_eq!(out, [255, 0, 0, 0, 0, 255, 0, 128, 127]);
    }

    #[test]
    fn padding_surrounds_the_image() {
        let image = [9, 9, 9, 255];
        let out = flatten_rgb(&image, &view(3, 1, 1, 1, 1, 0), [1, 2, 3]);
        assert_eq!(out, [1, 2, 3, 9, 9, 9, 1, 2, 3]);
        let out = place_rgba(&image, &view(1, 3, 1, 1, 0, 1));
        assert_eq!(out, [0, 0, 0, 0, 9, 9, 9, 255, 0, 0, 0, 0]);
    }
}
