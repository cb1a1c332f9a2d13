//! Where messages go: Meta's WhatsApp Cloud API (or the simulator, which
//! speaks the same HTTP API).

pub mod business;
pub mod meta;
pub mod templates;

#[cfg(test)]
mod wire_tests;
