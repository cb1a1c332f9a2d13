//! A signed Meta webhook body, as the handler reads it after the signature
//! check. Beyond "no panic": a body is refused only when it is not JSON,
//! and what is read from one holds no NUL (the store could not keep it).

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wagate::api::meta_webhook::read_body;
use wagate::store::{ContactIds, NewStatus};

fuzz_target!(|body: &[u8]| {
    let is_json = serde_json::from_slice::<Value>(body).is_ok();
    let Ok(batch) = read_body(body) else {
        assert!(!is_json, "a JSON body was refused");
        return;
    };
    assert!(is_json, "a body that is not JSON was read");
    for status in &batch.statuses {
        let mut texts = vec![&status.wamid, &status.phone_number_id, &status.status];
        texts.extend(ids(&status.recipient));
        if let Some(NewStatus {
            description,
            details,
            ..
        }) = &status.change
        {
            texts.push(description);
            assert!(details.as_ref().is_none_or(no_nul), "{details:?}");
        }
        assert!(texts.iter().all(|text| !text.contains('\0')), "{status:?}");
    }
    for inbound in &batch.inbound {
        let mut texts = vec![
            &inbound.wamid,
            &inbound.phone_number_id,
            &inbound.display_phone_number,
        ];
        texts.extend(ids(&inbound.sender));
        assert!(texts.iter().all(|text| !text.contains('\0')), "{inbound:?}");
        assert!(no_nul(&inbound.message), "{inbound:?}");
        assert!(inbound.contact.as_ref().is_none_or(no_nul), "{inbound:?}");
    }
});

fn ids(ids: &ContactIds) -> impl Iterator<Item = &String> {
    [&ids.phone, &ids.user_id, &ids.parent_user_id]
        .into_iter()
        .flatten()
}

fn no_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => !text.contains('\0'),
        Value::Array(items) => items.iter().all(no_nul),
        Value::Object(fields) => fields
            .iter()
            .all(|(key, item)| !key.contains('\0') && no_nul(item)),
        Value::Null | Value::Bool(_) | Value::Number(_) => true,
    }
}
