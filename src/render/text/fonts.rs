//! The embedded fonts and how RTF font names and styles map onto them.
//!
//! Every face is compiled into the binary with `include_bytes!` from the
//! crate's `fonts/` directory, so output never depends on the machine's fonts
//! and nothing here reads a file. Styles a family lacks (Serif bold italic,
//! Mono bold and italic) are synthesised by the rasteriser: bold by smearing
//! the outline sideways, italic by shearing it.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId};

use super::TextError;

/// A font family of the embedded set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// DejaVu Sans: the default, and the fallback for glyphs other faces lack.
    Sans,
    /// DejaVu Serif.
    Serif,
    /// DejaVu Sans Mono.
    Mono,
}

/// The RTF font-family keyword of a `\fonttbl` entry (`\froman`, `\fswiss`…).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FamilyHint {
    /// `\fnil` or none.
    #[default]
    None,
    /// `\froman`: proportional serif.
    Roman,
    /// `\fswiss`: proportional sans serif.
    Swiss,
    /// `\fmodern`: fixed pitch.
    Modern,
    /// `\fscript`, `\fdecor`, `\ftech`, `\fbidi`: nothing like them here.
    Other,
}

impl Family {
    /// Maps a `\fonttbl` font name (and its family keyword) to a family.
    ///
    /// Case-insensitive substring rules, first match wins: monospaced names
    /// (`mono`, `courier`, `consol`, `typewriter`, `lucida console`, `fixed`)
    /// → Mono; names with `sans`, `arial`, `helvetica`, `verdana`, `tahoma`…
    /// → Sans; serif names (`serif`, `times`, `georgia`, `garamond`,
    /// `roman`, `cambria`, `palatino`, `book`, `minion`, `baskerville`,
    /// `caslon`, `bodoni`, `century`) → Serif; otherwise `\fmodern` → Mono,
    /// `\froman` → Serif, and anything else → Sans.
    pub fn for_name(name: &str, hint: FamilyHint) -> Family {
        let lower = name.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
        if has(&[
            "mono",
            "courier",
            "consol",
            "typewriter",
            "lucida console",
            "fixed",
        ]) {
            Family::Mono
        } else if has(&[
            "sans",
            "arial",
            "helvetica",
            "verdana",
            "tahoma",
            "calibri",
            "segoe",
            "frutiger",
            "futura",
            "gill",
        ]) {
            Family::Sans
        } else if has(&[
            "serif",
            "times",
            "georgia",
            "garamond",
            "roman",
            "cambria",
            "palatino",
            "book",
            "minion",
            "baskerville",
            "caslon",
            "bodoni",
            "century",
        ]) {
            Family::Serif
        } else {
            match hint {
                FamilyHint::Modern => Family::Mono,
                FamilyHint::Roman => Family::Serif,
                _ => Family::Sans,
            }
        }
    }
}

/// An index into [`FontSet`]'s faces.
pub(crate) type FaceIndex = u8;

/// One face chosen for a style, with what the rasteriser must synthesise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FaceChoice {
    pub face: FaceIndex,
    pub synth_bold: bool,
    pub synth_italic: bool,
}

/// `(file name, bytes)` of every embedded face, in [`FaceIndex`] order.
const FACES: [(&str, &[u8]); 8] = [
    (
        "DejaVuSans.ttf",
        include_bytes!("../../../fonts/DejaVuSans.ttf"),
    ),
    (
        "DejaVuSans-Bold.ttf",
        include_bytes!("../../../fonts/DejaVuSans-Bold.ttf"),
    ),
    (
        "DejaVuSans-Oblique.ttf",
        include_bytes!("../../../fonts/DejaVuSans-Oblique.ttf"),
    ),
    (
        "DejaVuSans-BoldOblique.ttf",
        include_bytes!("../../../fonts/DejaVuSans-BoldOblique.ttf"),
    ),
    (
        "DejaVuSerif.ttf",
        include_bytes!("../../../fonts/DejaVuSerif.ttf"),
    ),
    (
        "DejaVuSerif-Bold.ttf",
        include_bytes!("../../../fonts/DejaVuSerif-Bold.ttf"),
    ),
    (
        "DejaVuSerif-Italic.ttf",
        include_bytes!("../../../fonts/DejaVuSerif-Italic.ttf"),
    ),
    (
        "DejaVuSansMono.ttf",
        include_bytes!("../../../fonts/DejaVuSansMono.ttf"),
    ),
];

const SANS: FaceIndex = 0;
const SANS_BOLD: FaceIndex = 1;
const SANS_OBLIQUE: FaceIndex = 2;
const SANS_BOLD_OBLIQUE: FaceIndex = 3;
const SERIF: FaceIndex = 4;
const SERIF_BOLD: FaceIndex = 5;
const SERIF_ITALIC: FaceIndex = 6;
const MONO: FaceIndex = 7;

/// The parsed embedded fonts. Parsing is cheap (tables are read lazily), and
/// [`FontSet::shared`] parses once per process.
#[derive(Clone, Debug)]
pub struct FontSet {
    faces: Vec<FontRef<'static>>,
}

impl FontSet {
    /// Parses the embedded faces. Fails only if a compiled-in file is not a
    /// font, which the tests rule out; it never panics.
    pub fn load() -> Result<FontSet, TextError> {
        let mut faces = Vec::with_capacity(FACES.len());
        for (name, bytes) in FACES {
            let face =
                FontRef::try_from_slice(bytes).map_err(|_| TextError::Font(name.to_owned()))?;
            faces.push(face);
        }
        Ok(FontSet { faces })
    }

    /// A process-wide set, parsed on first use. Should the embedded fonts
    /// fail to parse (the tests rule it out), the set is empty and every
    /// render answers [`TextError::Font`] instead of panicking.
    pub fn shared() -> &'static FontSet {
        static SHARED: OnceLock<FontSet> = OnceLock::new();
        SHARED.get_or_init(|| FontSet::load().unwrap_or(FontSet { faces: Vec::new() }))
    }

    /// Whether no face is loaded (only when loading failed).
    pub fn is_empty(&self) -> bool {
        self.faces.is_empty()
    }

    /// The file names of the embedded faces, for diagnostics.
    pub fn face_names() -> impl Iterator<Item = &'static str> {
        FACES.iter().map(|(name, _)| *name)
    }

    pub(crate) fn face(&self, index: FaceIndex) -> Option<&FontRef<'static>> {
        self.faces.get(usize::from(index))
    }

    /// The face for a family and style, and the styles to synthesise.
    pub(crate) fn choose(family: Family, bold: bool, italic: bool) -> FaceChoice {
        let real = |face| FaceChoice {
            face,
            synth_bold: false,
            synth_italic: false,
        };
        match (family, bold, italic) {
            (Family::Sans, false, false) => real(SANS),
            (Family::Sans, true, false) => real(SANS_BOLD),
            (Family::Sans, false, true) => real(SANS_OBLIQUE),
            (Family::Sans, true, true) => real(SANS_BOLD_OBLIQUE),
            (Family::Serif, false, false) => real(SERIF),
            (Family::Serif, true, false) => real(SERIF_BOLD),
            (Family::Serif, false, true) => real(SERIF_ITALIC),
            (Family::Serif, true, true) => FaceChoice {
                face: SERIF_ITALIC,
                synth_bold: true,
                synth_italic: false,
            },
            (Family::Mono, bold, italic) => FaceChoice {
                face: MONO,
                synth_bold: bold,
                synth_italic: italic,
            },
        }
    }

    /// Resolves a character to a glyph: in the chosen face, else in DejaVu
    /// Sans of the same style (which has the widest coverage), else in DejaVu
    /// Sans regular, else the chosen face's `.notdef` box.
    pub(crate) fn glyph(&self, choice: FaceChoice, c: char) -> (FaceChoice, GlyphId) {
        let found = |face: FaceIndex| {
            self.face(face)
                .map(|f| f.glyph_id(c))
                .filter(|id| id.0 != 0)
        };
        if let Some(id) = found(choice.face) {
            return (choice, id);
        }
        let is_bold = choice.synth_bold || matches!(choice.face, SANS_BOLD | SERIF_BOLD);
        let is_italic = choice.synth_italic
            || matches!(choice.face, SANS_OBLIQUE | SANS_BOLD_OBLIQUE | SERIF_ITALIC);
        let sans = FontSet::choose(Family::Sans, is_bold, is_italic);
        if let Some(id) = found(sans.face) {
            return (sans, id);
        }
        let plain = FaceChoice {
            face: SANS,
            synth_bold: is_bold,
            synth_italic: is_italic,
        };
        if let Some(id) = found(SANS) {
            return (plain, id);
        }
        (choice, GlyphId(0))
    }
}
