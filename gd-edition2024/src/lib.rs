//! Empty: this package exists for its tests (see Cargo.toml).
