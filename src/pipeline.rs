//! Per-page processing: decode → extract → fingerprint.
