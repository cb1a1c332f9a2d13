//! Helpers shared by the rule tests: build a message from JSON, validate it
//! at `messages[0]`, and assert the exact violations.

#![allow(dead_code)]

use serde_json::Value;
use wagate_domain::message::{Message, ValidMessage};
use wagate_domain::violation::{Path, Rule, Violation};
use wagate_domain::{Destination, Msisdn};

pub fn validate(message: &Value) -> Result<ValidMessage, Vec<Violation>> {
    let message: Message = serde_path_to_error::deserialize(message)
        .unwrap_or_else(|error| panic!("does not deserialize: {error}"));
    message.validate(&Path::root("messages").index(0))
}

/// The message is valid.
#[track_caller]
pub fn ok(message: &Value) -> ValidMessage {
    match validate(message) {
        Ok(valid) => valid,
        Err(violations) => panic!("expected valid, got {}", describe(&violations)),
    }
}

/// The message breaks exactly this one rule at exactly this path.
#[track_caller]
pub fn only(message: &Value, path: &str, rule: Rule) {
    match validate(message) {
        Ok(_) => panic!("expected {path}: {rule}, but the message is valid"),
        Err(violations) => assert_eq!(
            violations,
            vec![Violation::new(path, rule.clone())],
            "expected only {path}: {rule}, got {}",
            describe(&violations)
        ),
    }
}

/// The message breaks (at least) this rule at this path.
#[track_caller]
pub fn has(message: &Value, path: &str, rule: Rule) {
    match validate(message) {
        Ok(_) => panic!("expected {path}: {rule}, but the message is valid"),
        Err(violations) => assert!(
            violations.contains(&Violation::new(path, rule.clone())),
            "expected {path}: {rule} among {}",
            describe(&violations)
        ),
    }
}

pub fn describe(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A copy of `base` with the value at JSON pointer `pointer` replaced (the
/// parent must exist; a missing last key is added).
pub fn with(base: &Value, pointer: &str, value: Value) -> Value {
    let mut copy = base.clone();
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a /");
    let target = copy
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent} in {base}"));
    match target {
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        Value::Array(items) => {
            let index: usize = key.parse().expect("array index");
            items[index] = value;
        }
        _ => panic!("{parent} is not a container"),
    }
    copy
}

/// A copy of `base` without the key at `pointer`.
pub fn without(base: &Value, pointer: &str) -> Value {
    let mut copy = base.clone();
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a /");
    copy.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object {parent}"))
        .remove(key)
        .unwrap_or_else(|| panic!("no {pointer}"));
    copy
}

pub fn chars(n: usize) -> Value {
    Value::from("x".repeat(n))
}

pub fn msisdn() -> Destination {
    Destination::Msisdn(Msisdn::parse("+46701234567").expect("valid"))
}

/// The rendered `<type>` object of a valid message.
#[track_caller]
pub fn rendered(message: &Value) -> Value {
    let valid = ok(message);
    let body = valid.render(&msisdn());
    body[valid.message_type().as_str()].clone()
}
