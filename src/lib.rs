//! wagate: a self-hosted WhatsApp Business messaging gateway.
//!
//! Businesses POST messages in the LINK dialect; wagate checks them, renders
//! each to the Cloud API request it will send, and commits them durably
//! before answering. See `DESIGN.md` in the shared folder and the README for
//! the whole flow.
//!
//! - [`cli`]: the command line and its environment variables.
//! - [`server`]: start-up, serving, graceful shutdown.
//! - [`http_server`]: connections: the accept loop, its cap and timeouts.
//! - [`api`]: HTTP: the LINK dialect, the admin API, health.
//! - [`console`]: the operator console's pages.
//! - [`accept`]: group commit of accepted requests.
//! - [`store`]: the durable store (trait and backends).
//! - [`auth`]: password hashes, API keys, the verification cache.
//! - [`login_throttle`]: refusing logins after too many failures.
//! - [`metrics`]: Prometheus metrics.
//! - [`demo`]: the sandbox demo tenant.
//! - [`clock`]: time formats.

pub mod accept;
pub mod allocator;
pub mod api;
pub mod auth;
pub mod bench;
pub mod callbacks;
pub mod cli;
pub mod clock;
pub mod console;
pub mod demo;
pub mod dispatch;
pub mod egress;
pub mod group_commit;
pub mod housekeeping;
pub mod http_server;
pub mod inbox;
pub mod intake;
pub mod lease;
pub mod logging;
pub mod login_throttle;
pub mod media_url;
pub mod metrics;
pub mod retention;
pub mod server;
pub mod signature;
pub mod sim;
pub mod store;
pub mod table_upkeep;
pub mod upstream;

pub use wagate_domain as domain;
