//! Reporting back to the customer's gates: delivery reports (DLRs) and
//! incoming messages (MO) in the gate's format.
//!
//! So far: [`dlr`], the LINK delivery report built from a status of a
//! message's history. Delivery to gates (durable queue, retries, order per
//! message, signing) comes with the rest of issue 4.

pub mod dlr;
