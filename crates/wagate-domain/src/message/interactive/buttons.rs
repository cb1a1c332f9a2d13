//! Reply buttons of a button message: 1 to 3, each `type` `reply` with
//! `reply.id` (≤256) and `reply.title` (≤20), ids and titles each unique
//! within the message (LINK Interactive button table).

use serde::Deserialize;

use crate::violation::Path;

use super::super::check::{Unique, Violations};
use super::super::limits::{REPLY_BUTTONS_MAX, REPLY_BUTTONS_MIN, REPLY_ID_MAX, REPLY_TITLE_MAX};

/// One entry of `action.buttons` as the client sent it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ReplyButtonObject {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[schema(required = true, nullable = false)]
    pub reply: Option<ReplyObject>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ReplyObject {
    #[schema(required = true, nullable = false, min_length = 1, max_length = 256)]
    pub id: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 20)]
    pub title: Option<String>,
}

/// A checked reply button.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub(crate) id: String,
    pub(crate) title: String,
}

const REPLY: &[&str] = &["reply"];

pub(crate) fn validate(
    list: Vec<ReplyButtonObject>,
    path: &Path,
    violations: &mut Violations,
) -> Option<Vec<Reply>> {
    let counted = violations.count(path, list.len(), REPLY_BUTTONS_MIN, REPLY_BUTTONS_MAX);
    let mut ids = Unique::default();
    let mut titles = Unique::default();
    let checked: Vec<Option<Reply>> = list
        .into_iter()
        .enumerate()
        .map(|(index, button)| {
            let button_path = path.index(index);
            let typed = violations.fixed_name(
                &button_path.field("type"),
                button.kind.as_deref(),
                REPLY,
                true,
            );
            let reply_path = button_path.field("reply");
            let reply = violations.required(&reply_path, button.reply)?;
            let id_path = reply_path.field("id");
            let id = violations
                .required_text(&id_path, reply.id, REPLY_ID_MAX)
                .filter(|id| ids.check(violations, &id_path, id));
            let title_path = reply_path.field("title");
            let title = violations
                .required_text(&title_path, reply.title, REPLY_TITLE_MAX)
                .filter(|title| titles.check(violations, &title_path, title));
            Some(Reply {
                id: id?,
                title: title?,
            })
            .filter(|_| typed)
        })
        .collect();
    let checked: Option<Vec<Reply>> = checked.into_iter().collect();
    checked.filter(|_| counted)
}
