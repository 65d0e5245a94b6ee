//! Configuration and limits.
