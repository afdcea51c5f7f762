//! Linking copies to originals.
