//! The part tag: which message part a Cloud API request is, written into
//! the request as Meta's `biz_opaque_callback_data`, which Meta hands back,
//! unread, in the statuses of the message it sent. A status that carries
//! the tag names its part by the part's own key (message id and index),
//! which the store looks up by that key rather than by Meta's wamid, a
//! random string.
//!
//! The tag is `"<message id>/<index>"`. A status may carry another
//! application's data in the same field (a number shared with other
//! software): whatever does not read as a tag is no tag, and a tag only
//! names the part the store will still check against the status's wamid
//! and business number.

/// The Cloud API field the tag travels in.
pub const FIELD: &str = "biz_opaque_callback_data";

/// Longest message id a tag holds (wagate's are 22 characters, Devino's
/// numbers fewer).
const LONGEST_ID: usize = 64;

/// A message part as a status's tag names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartTag {
    pub message_id: String,
    pub index: u32,
}

impl PartTag {
    /// The tag of part `index` of message `message_id`.
    pub fn text(message_id: &str, index: u32) -> String {
        format!("{message_id}/{index}")
    }

    /// Reads a tag: a message id of ASCII letters and digits (at most
    /// [`LONGEST_ID`]), `/`, and an index in decimal digits.
    pub fn read(text: &str) -> Option<Self> {
        let (message_id, index) = text.split_once('/')?;
        let id_ok = !message_id.is_empty()
            && message_id.len() <= LONGEST_ID
            && message_id.bytes().all(|b| b.is_ascii_alphanumeric());
        let index_ok = !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit());
        if !(id_ok && index_ok) {
            return None;
        }
        Some(Self {
            message_id: message_id.to_owned(),
            index: index.parse().ok()?,
        })
    }

    /// `body`, a Cloud API request body (a JSON object), with the tag of
    /// part `index` of `message_id` as its last field.
    pub fn add_to(mut body: String, message_id: &str, index: u32) -> String {
        let tag = serde_json::Value::from(Self::text(message_id, index));
        match body.trim_end().strip_suffix('}') {
            Some(open) => {
                let empty = open.trim_end().ends_with('{');
                body.truncate(open.len());
                if !empty {
                    body.push(',');
                }
                body.push_str(&format!("\"{FIELD}\":{tag}}}"));
                body
            }
            // Not an object: nothing to add the tag to.
            None => body,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn a_tag_reads_back_as_the_part_it_was_written_for() {
        let text = PartTag::text("1aU6cwxAKE9NzMLrS6M82C", 3);
        assert_eq!(text, "1aU6cwxAKE9NzMLrS6M82C/3");
        assert_eq!(
            PartTag::read(&text),
            Some(PartTag {
                message_id: "1aU6cwxAKE9NzMLrS6M82C".into(),
                index: 3
            })
        );
        assert_eq!(
            PartTag::read("1001/0"),
            Some(PartTag {
                message_id: "1001".into(),
                index: 0
            })
        );
    }

    #[test]
    fn what_is_not_a_tag_reads_as_none() {
        let too_long = format!("{}/0", "a".repeat(LONGEST_ID + 1));
        for text in [
            "",
            "tracking",
            "/0",
            "abc/",
            "abc/-1",
            "abc/+1",
            "abc/1/2",
            "a-b/1",
            "abc/4294967296",
            "abc /1",
            too_long.as_str(),
        ] {
            assert_eq!(PartTag::read(text), None, "{text:?}");
        }
        let longest = format!("{}/0", "a".repeat(LONGEST_ID));
        assert!(PartTag::read(&longest).is_some());
    }

    #[test]
    fn the_tag_is_added_as_the_bodys_last_field() {
        let body = json!({"messaging_product": "whatsapp", "to": "+4670", "type": "text",
                          "text": {"body": "}"}})
        .to_string();
        let tagged = PartTag::add_to(body.clone(), "abc", 1);
        let parsed: Value = serde_json::from_str(&tagged).expect("JSON");
        assert_eq!(parsed[FIELD], "abc/1");
        assert_eq!(parsed["text"]["body"], "}");
        assert!(tagged.starts_with(&body[..body.len() - 1]), "{tagged}");
        assert!(tagged.ends_with("\"biz_opaque_callback_data\":\"abc/1\"}"));
        let empty: Value =
            serde_json::from_str(&PartTag::add_to("{ }".into(), "abc", 0)).expect("JSON");
        assert_eq!(empty, json!({FIELD: "abc/0"}));
        assert_eq!(PartTag::add_to("[1]".into(), "abc", 0), "[1]");
    }
}
