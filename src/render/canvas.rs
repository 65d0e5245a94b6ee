//! `Canvas`: the working pixel buffer of every render stage.
//!
//! 8-bit RGBA, row-major, tightly packed, with straight (not premultiplied)
//! alpha. Stages that need premultiplied alpha (resampling, blurs) convert
//! internally and hand back straight alpha. This module owns only the buffer
//! and its invariants; it never decodes, encodes or does I/O.

/// An RGBA8 image with straight alpha.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Canvas {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl Canvas {
    /// A canvas filled with one colour.
    pub fn filled(width: u32, height: u32, rgba: [u8; 4]) -> Canvas {
        let pixels = width as usize * height as usize;
        let mut data = Vec::with_capacity(pixels * 4);
        for _ in 0..pixels {
            data.extend_from_slice(&rgba);
        }
        Canvas {
            width,
            height,
            data,
        }
    }

    /// A fully transparent canvas.
    pub fn transparent(width: u32, height: u32) -> Canvas {
        Canvas {
            width,
            height,
            data: vec![0; width as usize * height as usize * 4],
        }
    }

    /// Wraps RGBA8 bytes; `None` when the length does not match the size.
    pub fn from_rgba(width: u32, height: u32, data: Vec<u8>) -> Option<Canvas> {
        (data.len() == width as usize * height as usize * 4).then_some(Canvas {
            width,
            height,
            data,
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The RGBA8 bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// The pixel at (x, y), or `None` outside.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 4;
        let p = self.data.get(i..i + 4)?;
        Some([p[0], p[1], p[2], p[3]])
    }

    /// Whether any pixel is not fully opaque.
    pub fn has_transparency(&self) -> bool {
        self.data.chunks_exact(4).any(|p| p[3] != 255)
    }
}

/// RGB8 → opaque RGBA8.
pub fn rgb_to_rgba(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construction_checks_sizes() {
        assert!(Canvas::from_rgba(2, 2, vec![0; 16]).is_some());
        assert!(Canvas::from_rgba(2, 2, vec![0; 15]).is_none());
        let c = Canvas::filled(3, 2, [1, 2, 3, 4]);
        assert_eq!(c.pixel(2, 1), Some([1, 2, 3, 4]));
        assert_eq!(c.pixel(3, 1), None);
        assert!(c.has_transparency());
        assert!(!Canvas::filled(1, 1, [0, 0, 0, 255]).has_transparency());
    }
}
