//! The near-duplicate index over 64-bit SimHash fingerprints: every stored fingerprint within
//! `k` bits (Hamming distance) of a query, found without a full scan.
//!
//! Placeholder: permuted tables are being built (issue 5).
