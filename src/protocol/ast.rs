//! The typed form of Image Serving commands (§3).
//!
//! Every command of the reference has one `Command` variant holding its typed
//! value; `CommandName` names it and knows its scope class (§4.5). A `Request`
//! is the merged result: one value per (target, command slot). This module
//! holds data only; it never parses, prints or does I/O.

use std::collections::{BTreeMap, BTreeSet};

use super::diagnostic::Spanned;

/// A pair of integers: a point (`pos`, `anchor`, `origin`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

/// A pair of reals: a normalised point or size, or `align`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointN {
    pub x: f64,
    pub y: f64,
}

/// `size=w,h`: `0` means "from the aspect" or "unconstrained".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub w: u32,
    pub h: u32,
}

/// An integer rectangle (`crop`, `rgn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: u32,
    pub h: u32,
}

/// A normalised rectangle (`cropN`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RectN {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// `rect=x,y,w,h[,scale]`: a tile of the final view.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tile {
    pub rect: Rect,
    pub scale: Option<f64>,
}

/// Left, top, right, bottom (`extend`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edges {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
}

/// Normalised left, top, right, bottom (`extendN`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdgesN {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

/// A colour value (§3.10), in the form it was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Color {
    pub value: ColorValue,
    /// The `s` suffix: the colour is in the source colour space.
    pub source_space: bool,
}

/// The colour components.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorValue {
    /// Gray level and alpha, 0–255 each (decimal gray percentages are converted).
    Gray { level: u8, alpha: u8 },
    /// RGB and alpha, 0–255 each.
    Rgb { r: u8, g: u8, b: u8, alpha: u8 },
    /// CMYK and alpha in percent, 0–100 each.
    Cmyk {
        c: u8,
        m: u8,
        y: u8,
        k: u8,
        alpha: u8,
    },
}

impl Color {
    /// The colour as 8-bit RGBA, converting gray and CMYK naïvely.
    pub fn to_rgba8(&self) -> [u8; 4] {
        match self.value {
            ColorValue::Gray { level, alpha } => [level, level, level, alpha],
            ColorValue::Rgb { r, g, b, alpha } => [r, g, b, alpha],
            ColorValue::Cmyk { c, m, y, k, alpha } => {
                let channel = |v: u8| {
                    let v = 1.0 - f64::from(v) / 100.0;
                    let k = 1.0 - f64::from(k) / 100.0;
                    (255.0 * v * k).round() as u8
                };
                let a = (f64::from(alpha) * 255.0 / 100.0).round() as u8;
                [channel(c), channel(m), channel(y), a]
            }
        }
    }
}

/// A command's object reference: a catalog id, a path, or a nested request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Object(String),
    Nested(Nested),
}

/// A nested request kept as written (§1.9), after variable substitution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nested {
    pub kind: NestedKind,
    /// The text between the brackets; not percent-decoded, as the nested
    /// request is parsed on its own.
    pub body: String,
    /// `true` for `{...}`, `false` for `(...)`.
    pub braces: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NestedKind {
    /// `is(...)`: an Image Serving request.
    Is,
    /// `ir(...)`: an Image Rendering request.
    Ir,
    /// `fxg(...)`: an FXG request.
    Fxg,
    /// `(url)`: a foreign URL.
    Url,
}

impl NestedKind {
    pub fn prefix(self) -> &'static str {
        match self {
            NestedKind::Is => "is",
            NestedKind::Ir => "ir",
            NestedKind::Fxg => "fxg",
            NestedKind::Url => "",
        }
    }
}

/// Declares a closed set of keywords with their canonical spelling.
///
/// Keywords are matched case-insensitively unless a type says otherwise.
macro_rules! keywords {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Looks a keyword up, ignoring ASCII case and accepting aliases.
            pub fn from_keyword(word: &str) -> Option<$name> {
                $(
                    if word.eq_ignore_ascii_case($text) $(|| word.eq_ignore_ascii_case($alias))* {
                        return Some($name::$variant);
                    }
                )+
                None
            }

            /// All spellings, for error messages.
            pub fn expected() -> &'static str {
                concat!($($text, ", "),+)
            }
        }
    };
}

keywords!(
    /// `req=` types (§3.9).
    ReqType {
        Img = "img", Tmb = "tmb", Mask = "mask", Props = "props", ImageProps = "imageprops",
        CatalogProps = "catalogprops", Exists = "exists", Validate = "validate",
        Resolve = "resolve", LoadCache = "loadcache", Map = "map", Targets = "targets",
        UserData = "userdata", ImageSet = "imageset", Set = "set", MbrSet = "mbrSet",
        Message = "message", SaveToFile = "saveToFile", Xlate = "xlate", Xmp = "xmp",
    }
);

keywords!(
    /// Encodings of property responses.
    ResponseFormat { Text = "text", Javascript = "javascript", Xml = "xml", Json = "json" }
);

keywords!(
    /// Character encodings allowed after `xml`.
    XmlEncoding {
        Utf8 = "UTF-8", Utf16 = "UTF-16", Utf16Le = "UTF-16LE", Utf16Be = "UTF-16BE",
        Iso88591 = "ISO-8859-1",
    }
);

keywords!(
    /// `fmt=` formats (§3.1.1).
    FormatKind {
        Jpeg = "jpeg", Jpg = "jpg", Pjpeg = "pjpeg", Png = "png", PngAlpha = "png-alpha",
        Png8 = "png8", Png8Alpha = "png8-alpha", Gif = "gif", GifAlpha = "gif-alpha",
        Tif = "tif", TifAlpha = "tif-alpha", Pdf = "pdf", Eps = "eps", Webp = "webp",
        WebpAlpha = "webp-alpha" | "web-alpha", Avif = "avif", AvifAlpha = "avif-alpha",
        Jpeg2000 = "jpeg2000", Jpeg2000Alpha = "jpeg2000-alpha", JpegXr = "jpegxr",
        JpegXrAlpha = "jpegxr-alpha", Heic = "heic", Swf = "swf", SwfAlpha = "swf-alpha",
        Swf3 = "swf3", Swf3Alpha = "swf3-alpha", F4m = "f4m", M3u8 = "m3u8",
    }
);

impl FormatKind {
    /// Whether the format keeps an alpha channel.
    pub fn has_alpha(self) -> bool {
        self.as_str().ends_with("-alpha")
    }

    /// The MIME type of the encoded reply.
    pub fn mime(self) -> &'static str {
        use FormatKind::*;
        match self {
            Jpeg | Jpg | Pjpeg => "image/jpeg",
            Png | PngAlpha | Png8 | Png8Alpha => "image/png",
            Gif | GifAlpha => "image/gif",
            Tif | TifAlpha => "image/tiff",
            Pdf => "application/pdf",
            Eps => "image/eps",
            Webp | WebpAlpha => "image/webp",
            Avif | AvifAlpha => "image/avif",
            Jpeg2000 | Jpeg2000Alpha => "image/jp2",
            JpegXr | JpegXrAlpha => "image/vnd.ms-photo",
            Heic => "image/heic",
            Swf | SwfAlpha | Swf3 | Swf3Alpha => "application/x-shockwave-flash",
            F4m => "application/f4m+xml",
            M3u8 => "application/vnd.apple.mpegurl",
        }
    }

    /// The compression keywords the format accepts as its third argument.
    pub fn compressions(self) -> &'static [Compression] {
        use Compression as C;
        use FormatKind::*;
        match self {
            Tif => &[C::None, C::Lzw, C::Zip, C::Jpeg],
            TifAlpha => &[C::None, C::Lzw, C::Zip],
            Pdf => &[C::None, C::Zip, C::Jpeg],
            Webp | WebpAlpha | Avif | AvifAlpha | Jpeg2000 | Jpeg2000Alpha | JpegXr
            | JpegXrAlpha => &[C::Lossy, C::Lossless],
            _ => &[C::None],
        }
    }
}

keywords!(
    /// Pixel types of `fmt=`.
    PixelType { Rgb = "rgb", Gray = "gray", Cmyk = "cmyk" }
);

keywords!(
    /// Compression of `fmt=`.
    Compression {
        None = "none", Lzw = "lzw", Zip = "zip", Jpeg = "jpeg", Lossy = "lossy",
        Lossless = "lossless",
    }
);

keywords!(
    /// `quantize=` palette types.
    QuantizeType { Adaptive = "adaptive", Web = "web", Mac = "mac" }
);

keywords!(
    /// `quantize=` dithering.
    Dither { Diffuse = "diffuse", Off = "off" }
);

keywords!(
    /// `resMode=` resampling modes; `sharp` is the deprecated alias still seen.
    ResMode { Bilin = "bilin", Bicub = "bicub", Sharp2 = "sharp2", Bisharp = "bisharp", Sharp = "sharp" }
);

keywords!(
    /// `icc=` rendering intents.
    RenderIntent {
        Perceptual = "perceptual", Relative = "relative", Saturation = "saturation",
        Absolute = "absolute",
    }
);

keywords!(
    /// `cache=` modes.
    CacheMode { On = "on", Off = "off", Validate = "validate", Update = "update" }
);

keywords!(
    /// `fit=` modes (§4.7).
    FitMode {
        Fit = "fit", Constrain = "constrain", Crop = "crop", Wrap = "wrap",
        Stretch = "stretch", Hfit = "hfit", Vfit = "vfit",
    }
);

keywords!(
    /// `maskUse=`.
    MaskUse { Norm = "norm", Invert = "invert", Off = "off" }
);

keywords!(
    /// `flip=`.
    Flip { Lr = "lr", Ud = "ud", Lrud = "lrud" }
);

keywords!(
    /// `blendMode=`.
    BlendMode {
        Norm = "norm", Dissolve = "dissolve", Lighten = "lighten", Darken = "darken",
        Mult = "mult", Screen = "screen",
    }
);

keywords!(
    /// `op_colorize=` brightness handling.
    ColorizeMode { Off = "off", Norm = "norm" }
);

keywords!(
    /// `op_noise=` distribution.
    NoiseDistribution { Uniform = "uniform", Gaussian = "gaussian" }
);

keywords!(
    /// `textAttr=` anti-aliasing.
    AntiAlias {
        Off = "off", Norm = "norm", Crisp = "crisp", Sharp = "sharp", Strong = "strong",
        Smooth = "smooth",
    }
);

keywords!(
    /// `textAttr=` resolution modes.
    TextResMode { FixedRes = "fixedRes", AutoRes = "autoRes", MaxRes = "maxRes" }
);

keywords!(
    /// `textAttr=` wrapping.
    TextWrap { Wrap = "wrap", NoWrap = "noWrap", NbWrap = "nbWrap" }
);

keywords!(
    /// `pathAttr=` direction.
    PathDirection { Norm = "norm", Reverse = "reverse" }
);

keywords!(
    /// `pscan=` other than a scan count.
    PscanAuto { Auto = "auto" }
);

/// `req=type[,fmt][,encoding]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Req {
    pub kind: ReqType,
    pub format: Option<ResponseFormat>,
    pub encoding: Option<XmlEncoding>,
}

/// `fmt=format[,pixelType[,compression]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    pub kind: FormatKind,
    pub pixel_type: Option<PixelType>,
    pub compression: Option<Compression>,
}

/// `qlt=quality[,chroma]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quality {
    /// 1–100.
    pub quality: u8,
    /// `true` turns chroma downsampling off (`qlt=q,1`).
    pub no_chroma_subsampling: Option<bool>,
}

/// `quantize=type[,dither[,numColors[,colorList]]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantize {
    pub kind: QuantizeType,
    pub dither: Option<Dither>,
    /// 2–256.
    pub colors: Option<u16>,
    /// Forced colours, RGB.
    pub forced: Vec<[u8; 3]>,
}

/// `icc=object[,renderIntent[,blackpointComp[,dither]]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Icc {
    pub profile: String,
    pub intent: Option<RenderIntent>,
    pub black_point_compensation: Option<bool>,
    pub dither: Option<bool>,
}

/// `cache=mode` or `cache=client,server`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cache {
    Both(CacheMode),
    Split { client: bool, server: bool },
}

/// `pscan=auto|3|4|5`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pscan {
    Auto,
    Scans(u8),
}

/// `dpr=off` or `dpr=on[,value]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dpr {
    Off,
    On(Option<f64>),
}

/// `fit=mode[,upscale]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fit {
    pub mode: FitMode,
    pub upscale: Option<bool>,
}

/// `perspective` resampling option: `R1`, `R2`, `R3`, `R3T<n>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PerspectiveRes {
    Nearest,
    Bilinear,
    SuperSample,
    Jitter(u8),
}

/// `perspective=x1,y1,…,x4,y4[,resOpt]` and its normalised twin.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Perspective {
    pub quad: [f64; 8],
    pub res: Option<PerspectiveRes>,
}

/// `opac=opacity[,fillOpacity]`, percent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opacity {
    pub opacity: u8,
    pub fill: Option<u8>,
}

/// One step of an SVG-like path (`clipPath`, `textPath`, `textFlowPath`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PathStep {
    Move { relative: bool, x: f64, y: f64 },
    Line { relative: bool, x: f64, y: f64 },
    Cubic { relative: bool, points: [f64; 6] },
    Close,
}

/// A whole path.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    pub steps: Vec<PathStep>,
}

/// `op_colorize=color[,off|norm[,contrast]]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Colorize {
    pub color: Color,
    pub mode: Option<ColorizeMode>,
    pub contrast: Option<f64>,
}

/// `op_noise=amount[,distribution[,mono]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Noise {
    pub amount: u8,
    pub distribution: Option<NoiseDistribution>,
    pub mono: Option<bool>,
}

/// `op_usm=amount[,radius[,threshold[,mono]]]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Usm {
    pub amount: f64,
    pub radius: Option<f64>,
    pub threshold: Option<u8>,
    pub mono: Option<bool>,
}

/// `textAttr=res[,aa[,resMode[,wrap]]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextAttr {
    pub resolution: u32,
    pub anti_alias: Option<AntiAlias>,
    pub res_mode: Option<TextResMode>,
    pub wrap: Option<TextWrap>,
}

/// `pathAttr=norm|reverse[,start[,end]]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathAttr {
    pub direction: PathDirection,
    pub start: Option<f64>,
    pub end: Option<f64>,
}

/// How a command behaves under `layer=comp` and in general (§4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A request attribute: global wherever it appears.
    Request,
    /// A view attribute: global wherever it appears.
    View,
    /// A layer command that `layer=comp` sends to layer 0.
    Layer0,
    /// A layer command that `layer=comp` applies to the composite.
    Composite,
    /// A layer command that `layer=comp` applies to the final view after scaling.
    FinalView,
    /// A layer command that is ignored under `layer=comp` and on layer 0.
    LayerOnly,
    /// A layer command that is not permitted under `layer=comp` or on layer 0.
    NotOnLayer0,
}

/// Generates `CommandName`, `Command` and their tables from one list, so the
/// name, class, value type and grammar of a command are written once.
macro_rules! commands {
    ($($variant:ident = $name:literal, $class:ident, $ty:ty, $parse:path, $print:path;)+) => {
        /// The name of a command.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum CommandName { $($variant),+ }

        impl CommandName {
            /// Every command, in canonical printing order.
            pub const ALL: &'static [CommandName] = &[$(CommandName::$variant),+];

            /// The documented spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(CommandName::$variant => $name),+ }
            }

            /// The scope class of the command.
            pub fn class(self) -> Class {
                match self { $(CommandName::$variant => Class::$class),+ }
            }

            /// Parses the command's value.
            pub(crate) fn parse_value(self, value: &str) -> Result<Command, super::parser::ValueError> {
                match self { $(CommandName::$variant => $parse(value).map(Command::$variant)),+ }
            }
        }

        /// A command with its typed value.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Command { $($variant($ty)),+ }

        impl Command {
            pub fn name(&self) -> CommandName {
                match self { $(Command::$variant(_) => CommandName::$variant),+ }
            }

            /// Appends the value in canonical form.
            pub(crate) fn write_value(&self, out: &mut String) {
                match self { $(Command::$variant(v) => $print(v, out)),+ }
            }
        }
    };
}

use super::parser as p;
use super::print as w;

commands! {
    // Layer commands that layer=comp sends to layer 0 (§4.5), source first.
    Src = "src", Layer0, Source, p::source, w::source;
    Text = "text", Layer0, String, p::text, w::string;
    TextPs = "textPs", Layer0, String, p::text, w::string;
    Mask = "mask", Layer0, Source, p::source, w::source;
    MaskUse = "maskUse", Layer0, MaskUse, p::keyword, w::keyword;
    Crop = "crop", Layer0, Rect, p::rect, w::rect;
    CropN = "cropN", Layer0, RectN, p::rect_n, w::rect_n;
    Anchor = "anchor", Layer0, Point, p::point, w::point;
    AnchorN = "anchorN", Layer0, PointN, p::point_n, w::point_n;
    Size = "size", Layer0, Size, p::size, w::size;
    Scale = "scale", Layer0, f64, p::positive_real, w::real;
    Res = "res", Layer0, f64, p::positive_real, w::real;
    Perspective = "perspective", Layer0, Perspective, p::perspective, w::perspective;
    PerspectiveN = "perspectiveN", Layer0, Perspective, p::perspective, w::perspective;
    Rotate = "rotate", Layer0, f64, p::angle, w::real;
    Extend = "extend", Layer0, Edges, p::edges, w::edges;
    ExtendN = "extendN", Layer0, EdgesN, p::edges_n, w::edges_n;
    Origin = "origin", Layer0, Point, p::point, w::point;
    OriginN = "originN", Layer0, PointN, p::point_n, w::point_n;
    Color = "color", Layer0, Color, p::color, w::color;
    BgColor = "bgColor", Layer0, Color, p::color, w::color;
    Hide = "hide", Layer0, bool, p::flag, w::flag;
    TextAttr = "textAttr", Layer0, TextAttr, p::text_attr, w::text_attr;
    TextAngle = "textAngle", Layer0, f64, p::angle, w::real;
    TextPath = "textPath", Layer0, Path, p::path, w::path;
    PathAttr = "pathAttr", Layer0, PathAttr, p::path_attr, w::path_attr;
    TextFlowPath = "textFlowPath", Layer0, Path, p::path, w::path;
    TextFlowXPath = "textFlowXPath", Layer0, Path, p::path, w::path;
    OpGrowMask = "op_growMask", Layer0, i32, p::percent_signed, w::int;
    OpGrowMaskR = "op_growMaskR", Layer0, i32, p::percent_signed, w::int;
    // Layer commands that stay on the named layer; ignored or refused under comp.
    SizeN = "sizeN", NotOnLayer0, PointN, p::size_n, w::point_n;
    Pos = "pos", LayerOnly, Point, p::point, w::point;
    PosN = "posN", LayerOnly, PointN, p::point_n, w::point_n;
    BlendMode = "blendMode", LayerOnly, BlendMode, p::keyword, w::keyword;
    // Layer commands that layer=comp applies to the composite.
    Flip = "flip", Composite, Flip, p::keyword, w::keyword;
    Opac = "opac", Composite, Opacity, p::opacity, w::opacity;
    ClipPath = "clipPath", Composite, Path, p::path, w::path;
    ClipPathE = "clipPathE", Composite, Vec<String>, p::names, w::names;
    ClipXPath = "clipXPath", Composite, Path, p::path, w::path;
    ClipXPathE = "clipXPathE", Composite, Vec<String>, p::names, w::names;
    CropPathE = "cropPathE", Composite, Vec<String>, p::names, w::names;
    Map = "map", Composite, String, p::text, w::string;
    MapA = "mapA", Composite, String, p::text, w::string;
    OpBlur = "op_blur", Composite, f64, p::blur_radius, w::real;
    OpBrightness = "op_brightness", Composite, i32, p::percent_signed, w::int;
    OpContrast = "op_contrast", Composite, i32, p::percent_signed, w::int;
    OpColorbalance = "op_colorbalance", Composite, [i32; 3], p::color_balance, w::ints3;
    OpColorize = "op_colorize", Composite, Colorize, p::colorize, w::colorize;
    OpGrow = "op_grow", Composite, i32, p::percent_signed, w::int;
    OpHue = "op_hue", Composite, i32, p::hue, w::int;
    OpInvert = "op_invert", Composite, bool, p::flag, w::flag;
    OpNoise = "op_noise", Composite, Noise, p::noise, w::noise;
    OpSaturation = "op_saturation", Composite, i32, p::percent_signed, w::int;
    // Sharpening: under comp it runs on the final view after all scaling.
    OpSharpen = "op_sharpen", FinalView, bool, p::flag, w::flag;
    OpUsm = "op_usm", FinalView, Usm, p::usm, w::usm;
    OpUsmR = "op_usmR", FinalView, Usm, p::usm, w::usm;
    // View attributes (§3.2).
    Wid = "wid", View, u32, p::positive_int, w::uint;
    Hei = "hei", View, u32, p::positive_int, w::uint;
    Scl = "scl", View, f64, p::positive_real, w::real;
    Fit = "fit", View, Fit, p::fit, w::fit;
    Align = "align", View, PointN, p::align, w::point_n;
    Bgc = "bgc", View, Color, p::color, w::color;
    Rgn = "rgn", View, Rect, p::rect, w::rect;
    Rect = "rect", View, Tile, p::tile, w::tile;
    // Request attributes (§3.1).
    Req = "req", Request, Req, p::req, w::req;
    Fmt = "fmt", Request, Format, p::format, w::format;
    Qlt = "qlt", Request, Quality, p::quality, w::quality;
    Quantize = "quantize", Request, Quantize, p::quantize, w::quantize;
    ResMode = "resMode", Request, ResMode, p::res_mode, w::keyword;
    Icc = "icc", Request, Icc, p::icc, w::icc;
    IccEmbed = "iccEmbed", Request, bool, p::flag, w::flag;
    PathEmbed = "pathEmbed", Request, bool, p::flag, w::flag;
    XmpEmbed = "xmpEmbed", Request, bool, p::flag, w::flag;
    PrintRes = "printRes", Request, f64, p::positive_real, w::real;
    Cache = "cache", Request, Cache, p::cache, w::cache;
    DefaultImage = "defaultImage", Request, String, p::text, w::string;
    Template = "template", Request, String, p::object, w::string;
    Locale = "locale", Request, String, p::locale, w::string;
    Id = "id", Request, String, p::text, w::string;
    ImageSet = "imageSet", Request, String, p::text, w::string;
    JpegSize = "jpegSize", Request, u32, p::non_negative_int, w::uint;
    Pscan = "pscan", Request, Pscan, p::pscan, w::pscan;
    Bfc = "bfc", Request, bool, p::on_off, w::on_off;
    Dpr = "dpr", Request, Dpr, p::dpr, w::dpr;
    Network = "network", Request, bool, p::on_off, w::on_off;
    EffectMask = "effectMask", Request, bool, p::flag, w::flag;
    Type = "type", Request, String, p::text, w::string;
    Handler = "handler", Request, String, p::handler, w::string;
    LabelKey = "labelkey", Request, String, p::text, w::string;
    Message = "message", Request, String, p::text, w::string;
    Name = "name", Request, String, p::text, w::string;
    Timeout = "timeout", Request, u32, p::non_negative_int, w::uint;
}

impl CommandName {
    /// Looks a command up by name, ignoring ASCII case; `colorize` is accepted
    /// for `op_colorize` because the docs use it in two examples.
    pub fn lookup(name: &str) -> Option<CommandName> {
        if name.eq_ignore_ascii_case("colorize") {
            return Some(CommandName::OpColorize);
        }
        CommandName::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(name))
    }

    /// The slot a command occupies in its layer: commands that say the same
    /// thing in another form replace each other, last one wins (§1.6).
    pub fn slot(self) -> CommandName {
        use CommandName::*;
        match self {
            Text | TextPs => Src,
            CropN => Crop,
            AnchorN => Anchor,
            SizeN => Size,
            PosN => Pos,
            OriginN => Origin,
            ExtendN => Extend,
            PerspectiveN => Perspective,
            OpUsmR => OpUsm,
            OpGrowMaskR => OpGrowMask,
            other => other,
        }
    }

    /// Commands an effect layer accepts (§3.8); others are ignored there.
    pub fn allowed_in_effect(self) -> bool {
        use CommandName::*;
        matches!(
            self,
            BlendMode | Color | MaskUse | Opac | OpGrow | OpBlur | OpNoise | Pos | PosN
        )
    }

    /// Request and view attributes apply globally, whatever the scope.
    pub fn is_global(self) -> bool {
        matches!(self.class(), Class::Request | Class::View)
    }
}

/// Where a command applies once scoping is resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// Request and view attributes.
    Global,
    /// The composite image (and, for sharpening, the final view).
    Composite,
    /// Layer `n`; layer 0 also receives layer commands given under `comp`.
    Layer(u32),
    /// Effect `index` of a layer (`None`: of the composite).
    Effect { parent: Option<u32>, index: i32 },
}

/// The merged request: one value per (target, command slot).
///
/// Equality ignores where commands came from (spans).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request {
    pub commands: BTreeMap<(Target, CommandName), Spanned<Command>>,
    /// Layer names and the layer number each one names.
    pub layer_names: BTreeMap<String, u32>,
    /// Layers and effects opened explicitly with `layer=`/`effect=`, even empty.
    pub targets: BTreeSet<Target>,
}

impl Request {
    /// The command in a target's slot.
    pub fn get(&self, target: Target, name: CommandName) -> Option<&Command> {
        self.commands.get(&(target, name.slot())).map(|s| &s.value)
    }

    /// A global (request or view) command.
    pub fn global(&self, name: CommandName) -> Option<&Command> {
        self.get(Target::Global, name)
    }

    /// Sets a command, replacing whatever held its slot.
    pub fn set(&mut self, target: Target, command: Spanned<Command>) {
        let key = (target, command.value.name().slot());
        self.commands.insert(key, command);
    }

    /// Removes a command's slot.
    pub fn remove(&mut self, target: Target, name: CommandName) -> Option<Spanned<Command>> {
        self.commands.remove(&(target, name.slot()))
    }

    /// Every (target, command), spans dropped, in canonical order.
    pub fn entries(&self) -> Vec<(Target, Command)> {
        self.commands
            .iter()
            .map(|((t, _), c)| (*t, c.value.clone()))
            .collect()
    }

    /// Every target that was opened or holds a command.
    pub fn all_targets(&self) -> BTreeSet<Target> {
        let mut all = self.targets.clone();
        all.extend(self.commands.keys().map(|(t, _)| *t));
        all
    }

    /// Layer numbers in use, ascending (layer 0 is always present).
    pub fn layers(&self) -> BTreeSet<u32> {
        let mut layers: BTreeSet<u32> = self
            .all_targets()
            .iter()
            .filter_map(|t| match t {
                Target::Layer(n) => Some(*n),
                Target::Effect {
                    parent: Some(n), ..
                } => Some(*n),
                _ => None,
            })
            .collect();
        layers.insert(0);
        layers
    }

    pub fn wid(&self) -> Option<u32> {
        match self.global(CommandName::Wid) {
            Some(Command::Wid(v)) => Some(*v),
            _ => None,
        }
    }

    pub fn hei(&self) -> Option<u32> {
        match self.global(CommandName::Hei) {
            Some(Command::Hei(v)) => Some(*v),
            _ => None,
        }
    }

    pub fn fmt(&self) -> Option<Format> {
        match self.global(CommandName::Fmt) {
            Some(Command::Fmt(v)) => Some(*v),
            _ => None,
        }
    }

    pub fn qlt(&self) -> Option<Quality> {
        match self.global(CommandName::Qlt) {
            Some(Command::Qlt(v)) => Some(*v),
            _ => None,
        }
    }

    pub fn bgc(&self) -> Option<Color> {
        match self.global(CommandName::Bgc) {
            Some(Command::Bgc(v)) => Some(*v),
            _ => None,
        }
    }

    pub fn req(&self) -> Option<Req> {
        match self.global(CommandName::Req) {
            Some(Command::Req(v)) => Some(*v),
            _ => None,
        }
    }
}
