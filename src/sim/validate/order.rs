//! The payments interactive messages: `order_details` (an order to review
//! and pay, action `review_and_pay`) and `order_status` (a later update of
//! that order, action `review_order`). The fields every payment method needs
//! are checked; the method's own settings (`payment_type`,
//! `payment_configuration`, `payment_settings`…) vary by country and pass.

use serde_json::{Map, Value};

use super::interactive::named;
use super::params::{
    Checked, index, invalid, key, object, one_of, optional_str, required, required_array,
    required_str,
};

/// The states an order may be in, in `order_details` and `order_status`.
const ORDER_STATUSES: [&str; 6] = [
    "pending",
    "processing",
    "partially-shipped",
    "shipped",
    "completed",
    "canceled",
];

/// `action` of an `order_details` message.
pub fn details(action: &Map<String, Value>, path: &str) -> Checked<()> {
    named(action, path, "review_and_pay", &["name", "parameters"])?;
    let parameters_path = key(path, "parameters");
    let parameters = object(required(action, path, "parameters")?, &parameters_path)?;
    required_str(parameters, &parameters_path, "reference_id")?;
    one_of(
        required_str(parameters, &parameters_path, "type")?,
        &["digital-goods", "physical-goods"],
        &key(&parameters_path, "type"),
    )?;
    let currency = required_str(parameters, &parameters_path, "currency")?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return invalid(format!(
            "Param {} must be an ISO 4217 currency code",
            key(&parameters_path, "currency")
        ));
    }
    amount(parameters, &parameters_path, "total_amount")?;

    let order_path = key(&parameters_path, "order");
    let order = order(parameters, &parameters_path)?;
    let items_path = key(&order_path, "items");
    for (position, item) in required_array(order, &order_path, "items", 1, 999)?
        .iter()
        .enumerate()
    {
        let item_path = index(&items_path, position);
        let item = object(item, &item_path)?;
        required_str(item, &item_path, "retailer_id")?;
        required_str(item, &item_path, "name")?;
        amount(item, &item_path, "amount")?;
        if matches!(
            required(item, &item_path, "quantity")?.as_u64(),
            None | Some(0)
        ) {
            return invalid(format!(
                "Param {} must be a positive integer",
                key(&item_path, "quantity")
            ));
        }
        if item.contains_key("sale_amount") {
            amount(item, &item_path, "sale_amount")?;
        }
    }
    amount(order, &order_path, "subtotal")?;
    amount(order, &order_path, "tax")?;
    for optional in ["shipping", "discount"] {
        if order.contains_key(optional) {
            amount(order, &order_path, optional)?;
        }
    }
    Ok(())
}

/// `action` of an `order_status` message.
pub fn status(action: &Map<String, Value>, path: &str) -> Checked<()> {
    named(action, path, "review_order", &["name", "parameters"])?;
    let parameters_path = key(path, "parameters");
    let parameters = object(required(action, path, "parameters")?, &parameters_path)?;
    required_str(parameters, &parameters_path, "reference_id")?;
    let order = order(parameters, &parameters_path)?;
    optional_str(order, &key(&parameters_path, "order"), "description")?;
    Ok(())
}

/// `parameters.order`, with a known `status`.
fn order<'a>(parameters: &'a Map<String, Value>, path: &str) -> Checked<&'a Map<String, Value>> {
    let order_path = key(path, "order");
    let order = object(required(parameters, path, "order")?, &order_path)?;
    one_of(
        required_str(order, &order_path, "status")?,
        &ORDER_STATUSES,
        &key(&order_path, "status"),
    )?;
    Ok(order)
}

/// An amount: `{"value": 1500, "offset": 100}` is 15.00 (integer `value`,
/// positive integer `offset`).
fn amount(map: &Map<String, Value>, parent: &str, name: &str) -> Checked<()> {
    let path = key(parent, name);
    let amount = object(required(map, parent, name)?, &path)?;
    if required(amount, &path, "value")?.as_i64().is_none() {
        return invalid(format!("Param {} must be an integer", key(&path, "value")));
    }
    if matches!(required(amount, &path, "offset")?.as_u64(), None | Some(0)) {
        return invalid(format!(
            "Param {} must be a positive integer",
            key(&path, "offset")
        ));
    }
    Ok(())
}
