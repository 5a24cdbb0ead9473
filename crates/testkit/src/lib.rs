//! What Tollgate's tests and benchmark share, kept out of the product: throwaway PostgreSQL
//! databases ([`ScratchDatabase`]) and what they do with a running harness beyond what the
//! sandbox needs ([`HarnessExt`]).
mod harness;
mod scratch;

pub use harness::HarnessExt;
pub use scratch::ScratchDatabase;
