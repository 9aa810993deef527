//! Integration tests of klingel-core: a real SQLite file in a temp dir, real HTTP on loopback.
//! One test binary for the crate, to keep link time down.

mod account;
mod corpus;
mod fake_sipgate;
mod group_commit;
mod http;
mod hub;
mod import;
mod properties;
mod server;
mod session;
mod store;
mod support;
