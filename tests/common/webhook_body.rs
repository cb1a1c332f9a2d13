//! Reading Meta webhook bodies the way a receiver must: a webhook may carry
//! several entries, changes and statuses at once.

use serde_json::Value;

/// Every status in a webhook body, in order.
pub fn statuses(body: &Value) -> Vec<&Value> {
    let mut found = Vec::new();
    for entry in array(&body["entry"]) {
        for change in array(&entry["changes"]) {
            found.extend(array(&change["value"]["statuses"]));
        }
    }
    found
}

fn array(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}
