//! HTTP face of the service.
