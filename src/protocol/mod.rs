//! The Image Serving command language.
