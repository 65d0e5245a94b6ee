//! A render job: one source image and the three command strings of a
//! request, parsed, merged and rendered. The HTTP route, the `render` command
//! and the golden tests all go through here, so they cannot disagree.
//!
//! It joins `protocol` and `render` and nothing else: no catalog lookups (the
//! caller resolved the object), no HTTP.

use crate::config::Limits;
use crate::plan::CatalogAttributes;
use crate::protocol::{self, Sources};
use crate::render::RenderError;
use crate::render::encode::Encoded;
use crate::render::pipeline::{self, RenderInput};

/// Why a job produced no image.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The command strings have errors; the text is the parser's diagnostics.
    #[error("{0}")]
    Request(String),
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// Parses `sources` for `object` and renders `source` with them.
pub fn render(
    source: &[u8],
    sources: Sources<'_>,
    object: &str,
    limits: &Limits,
) -> Result<Encoded, JobError> {
    let parsed = protocol::parse(
        sources,
        &protocol::Options {
            object: Some(object),
            ..protocol::Options::default()
        },
    );
    if parsed.has_errors() {
        let errors: Vec<String> = parsed.diagnostics.errors().map(|d| d.to_string()).collect();
        return Err(JobError::Request(errors.join("\n")));
    }
    // The seed depends only on what is rendered, so output is reproducible.
    let canonical = parsed.resolved();
    let seed = fnv1a(canonical.as_bytes()) ^ fnv1a(object.as_bytes()).rotate_left(17);
    let input = RenderInput {
        request: &parsed.request,
        attributes: CatalogAttributes::from_limits(limits),
        limits,
        seed,
    };
    Ok(pipeline::render(source, &input)?)
}

/// 64-bit FNV-1a, a stable hash for seeds.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
