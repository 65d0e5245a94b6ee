//! A compact, readable form of a plan, one step a line, for tests and logs.
//!
//! Steps that change nothing (no crop, no scale, …) are left out; `fill` is
//! printed only when it is not opaque white.

use std::fmt;

use super::{PixelRect, Plan, ScaleBy, ViewRule};

/// A number with at most four decimals and no trailing zeros.
fn num(v: f64) -> String {
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

fn pair(v: (f64, f64)) -> String {
    format!("{},{}", num(v.0), num(v.1))
}

fn rect(r: &PixelRect) -> String {
    format!("{},{},{},{}", r.x, r.y, r.w, r.h)
}

impl fmt::Display for ViewRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViewRule::Unscaled => f.write_str("1:1"),
            ViewRule::DefaultPix => f.write_str("defaultPix"),
            ViewRule::Scl(s) => write!(f, "scl={}", num(*s)),
            ViewRule::Wid => f.write_str("wid"),
            ViewRule::Hei => f.write_str("hei"),
            ViewRule::WidHei => f.write_str("wid,hei"),
            ViewRule::Fit { mode, upscale } => {
                write!(f, "fit={},{}", mode.as_str(), u8::from(*upscale))
            }
            ViewRule::Thumbnail(kind) => write!(f, "thumb {}", kind.as_str()),
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let layer = &self.layer0;
        if layer.crop != PixelRect::sized(self.source) {
            let valid = layer.valid.as_ref().map_or("none".to_owned(), rect);
            writeln!(f, "crop {} valid {valid}", rect(&layer.crop))?;
        }
        let scale = &layer.scale;
        if scale.by != ScaleBy::None {
            let by = match scale.by {
                ScaleBy::None => "none".to_owned(),
                ScaleBy::Size => "size".to_owned(),
                ScaleBy::Scale => "scale".to_owned(),
                ScaleBy::Res => "res".to_owned(),
                ScaleBy::Thumb(kind) => format!("thumb {}", kind.as_str()),
            };
            write!(
                f,
                "scale {} by {by} -> {}x{}",
                num(scale.factor),
                scale.content.0,
                scale.content.1
            )?;
            if scale.frame != scale.content || scale.offset != (0, 0) {
                write!(
                    f,
                    " in {}x{} at {},{}",
                    scale.frame.0, scale.frame.1, scale.offset.0, scale.offset.1
                )?;
            }
            writeln!(f)?;
        }
        if let Some(flip) = layer.flip {
            writeln!(f, "flip {}", flip.as_str())?;
        }
        if let Some(r) = &layer.rotate {
            writeln!(
                f,
                "rotate {} {}x{} -> {}x{}",
                num(r.degrees),
                r.from.0,
                r.from.1,
                r.to.0,
                r.to.1
            )?;
        }
        if let Some(e) = &layer.extend {
            writeln!(f, "extend {},{},{},{}", e.left, e.top, e.right, e.bottom)?;
        }
        write!(
            f,
            "canvas {}x{} origin {}",
            layer.size.0,
            layer.size.1,
            pair(layer.origin)
        )?;
        if let Some(anchor) = layer.anchor {
            if anchor != layer.origin {
                write!(f, " anchor {}", pair(anchor))?;
            }
        }
        writeln!(f)?;
        if let Some(flip) = self.composite_flip {
            writeln!(f, "composite flip {}", flip.as_str())?;
        }
        let view = &self.view;
        let (sx, sy) = view.factor;
        let scale = if num(sx) == num(sy) {
            num(sx)
        } else {
            pair((sx, sy))
        };
        write!(
            f,
            "view {}x{} by {}: {} -> {} scale {scale}",
            view.size.0,
            view.size.1,
            view.rule,
            rect(&view.region),
            rect(&view.image)
        )?;
        if view.region != PixelRect::sized(self.canvas()) {
            // Where the whole composite lands: with `rgn`, more than the
            // region may show.
            let t = view.transform();
            let (w, h) = self.canvas();
            let (x0, y0) = t.apply((0.0, 0.0));
            let (x1, y1) = t.apply((f64::from(w), f64::from(h)));
            write!(
                f,
                " composite at {},{}",
                pair((x0, y0)),
                pair((x1 - x0, y1 - y0))
            )?;
        }
        writeln!(f)?;
        if let Some(dpr) = view.dpr {
            write!(f, "dpr {}", num(dpr.factor))?;
            if let Some(clamp) = dpr.clamp {
                write!(f, " clamped by {}", num(clamp))?;
            }
            writeln!(f)?;
        }
        if view.fill != [255, 255, 255, 255] {
            let [r, g, b, a] = view.fill;
            writeln!(f, "fill {r:02x}{g:02x}{b:02x}{a:02x}")?;
        }
        if let Some(tile) = &self.tile {
            writeln!(f, "tile {} scale {}", rect(&tile.rect), num(tile.scale))?;
        }
        let (w, h) = self.reply_size();
        write!(f, "reply {w}x{h}")
    }
}
