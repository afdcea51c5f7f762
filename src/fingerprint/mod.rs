//! Fingerprints: normalisation, features, 64-bit SimHash, containment signature, and the
//! near-duplicate index.

pub mod index;
