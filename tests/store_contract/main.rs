//! The store's contract, checked on the store itself through
//! `Arc<dyn Store>`: every test runs on SQLite and on PostgreSQL (see
//! `on_backends!`), and each pins down one rule the trait documents in
//! `src/store/mod.rs`. One module per part of the trait; the builders the
//! tests share are in [`build`].

#[path = "../common/mod.rs"]
mod common;

mod attempts;
mod build;
mod callbacks;
mod leases;
mod messages;
mod ops;
mod outbox;
mod retention;
mod source_figures;
mod tenants;
mod webhooks;
