//! CPU work on pixels.
