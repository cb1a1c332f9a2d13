//! The simulator's message templates, per WhatsApp Business Account: what
//! `POST /{waba-id}/message_templates` created, with its review status.
//! Meta's sample `hello_world` (`en_US`, UTILITY, no parameters) is
//! APPROVED in every WABA from the start; it is Meta's, so it can be read
//! and listed but not edited or deleted.
//!
//! Bounded like Meta bounds a WABA: at most [`MAX_PER_WABA`] templates
//! each, and at most [`MAX_TOTAL`] across the simulator and [`MAX_WABAS`]
//! WABAs; past a limit a create is refused with Meta's error. Listing pages
//! with opaque `after`/`before` cursors, in creation order.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::meta_error::MetaError;
use super::payload::Category;
use crate::store::Millis;

/// Meta's limit of templates per WABA (a business portfolio that is not
/// verified).
pub const MAX_PER_WABA: usize = 250;
/// Templates kept across all WABAs.
pub const MAX_TOTAL: usize = 10_000;
/// WABAs with templates of their own.
pub const MAX_WABAS: usize = 1_000;
/// The largest page of a list.
pub const MAX_PAGE: usize = 1_000;
/// A list's page without `limit`.
pub const DEFAULT_PAGE: usize = 25;
/// An approved template may be edited once in this window.
pub const EDIT_WINDOW_MS: Millis = 24 * 60 * 60 * 1000;

pub const HELLO_WORLD: &str = "hello_world";
pub const HELLO_WORLD_LANGUAGE: &str = "en_US";

/// A template's category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateCategory {
    Marketing,
    Utility,
    Authentication,
}

impl TemplateCategory {
    pub const NAMES: [&'static str; 3] = ["MARKETING", "UTILITY", "AUTHENTICATION"];

    /// Meta's names, in any case.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_uppercase().as_str() {
            "MARKETING" => Some(Self::Marketing),
            "UTILITY" => Some(Self::Utility),
            "AUTHENTICATION" => Some(Self::Authentication),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Marketing => "MARKETING",
            Self::Utility => "UTILITY",
            Self::Authentication => "AUTHENTICATION",
        }
    }

    /// How a message of this template is priced.
    pub fn pricing(self) -> Category {
        match self {
            Self::Marketing => Category::Marketing,
            Self::Utility => Category::Utility,
            Self::Authentication => Category::Authentication,
        }
    }
}

/// A template's review status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateStatus {
    Pending,
    Approved,
}

impl TemplateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Approved => "APPROVED",
        }
    }
}

/// One template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Digits, like Meta's ids.
    pub id: String,
    pub name: String,
    pub language: String,
    pub category: TemplateCategory,
    pub status: TemplateStatus,
    pub components: Value,
    /// When an approved template was last edited.
    pub edited_at: Option<Millis>,
}

impl Template {
    /// Meta's template object (its default fields).
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "components": self.components,
            "language": self.language,
            "status": self.status.as_str(),
            "category": self.category.as_str(),
            "id": self.id,
        })
    }

    fn is_sample(&self) -> bool {
        self.name == HELLO_WORLD && self.language == HELLO_WORLD_LANGUAGE
    }
}

/// A template that passed Meta's checks, to be created.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTemplate {
    pub name: String,
    pub language: String,
    pub category: TemplateCategory,
    pub components: Value,
}

/// What an edit changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub category: Option<TemplateCategory>,
    pub components: Option<Value>,
}

/// A list's filters.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Part of the name.
    pub name: Option<String>,
    /// One status, any case.
    pub status: Option<String>,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page {
    pub data: Vec<Template>,
    /// Cursors of the first and last entry.
    pub before: Option<String>,
    pub after: Option<String>,
    /// Whether entries follow the page.
    pub more: bool,
}

/// Every WABA's templates.
#[derive(Debug, Default)]
pub struct Templates {
    by_waba: HashMap<String, Vec<Template>>,
    total: usize,
    /// WABAs whose templates were listed (at most [`MAX_WABAS`]): their
    /// sample's id is found by [`Templates::by_id`] too.
    listed: HashSet<String>,
}

/// Meta's sample template as it is in `waba_id`, with an id of its own.
fn hello_world(waba_id: &str) -> Template {
    let digest = Sha256::digest(waba_id.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    let id = 1_000_000_000_000_000 + u64::from_be_bytes(bytes) % 9_000_000_000_000_000;
    Template {
        id: id.to_string(),
        name: HELLO_WORLD.into(),
        language: HELLO_WORLD_LANGUAGE.into(),
        category: TemplateCategory::Utility,
        status: TemplateStatus::Approved,
        components: json!([
            {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
            {"type": "BODY", "text": "Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us."},
            {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"},
        ]),
        edited_at: None,
    }
}

/// A fresh template id: 16 digits.
fn new_id() -> String {
    (1_000_000_000_000_000 + rand::random::<u64>() % 9_000_000_000_000_000).to_string()
}

fn cursor(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

fn refused(title: &'static str, message: String) -> MetaError {
    MetaError::template_refused(None, title, message)
}

impl Templates {
    /// The WABA's templates in creation order, the sample first.
    fn all(&self, waba_id: &str) -> impl Iterator<Item = Template> + '_ {
        std::iter::once(hello_world(waba_id))
            .chain(self.by_waba.get(waba_id).into_iter().flatten().cloned())
    }

    /// Creates a template, PENDING review.
    pub fn create(&mut self, waba_id: &str, new: NewTemplate) -> Result<Template, MetaError> {
        if self
            .all(waba_id)
            .any(|t| t.name == new.name && t.language == new.language)
        {
            return Err(MetaError::template_refused(
                Some(2_388_024),
                "Content in this language already exists",
                format!(
                    "There is already {} content for this template. You can create a new template and try again.",
                    new.language
                ),
            ));
        }
        let count = self.by_waba.get(waba_id).map_or(0, Vec::len);
        if count + 1 >= MAX_PER_WABA || self.total >= MAX_TOTAL {
            return Err(refused(
                "Message template limit reached",
                format!(
                    "This WhatsApp Business Account has reached its limit of {MAX_PER_WABA} message templates. Delete templates you no longer use and try again."
                ),
            ));
        }
        if count == 0 && self.by_waba.len() >= MAX_WABAS {
            return Err(refused(
                "Message template limit reached",
                format!(
                    "The sandbox keeps templates of at most {MAX_WABAS} WhatsApp Business Accounts."
                ),
            ));
        }
        let template = Template {
            id: new_id(),
            name: new.name,
            language: new.language,
            category: new.category,
            status: TemplateStatus::Pending,
            components: new.components,
            edited_at: None,
        };
        self.by_waba
            .entry(waba_id.to_owned())
            .or_default()
            .push(template.clone());
        self.total += 1;
        Ok(template)
    }

    /// The template `id`, with its WABA; the sample is found in the WABAs
    /// that have templates or were listed.
    pub fn by_id(&self, id: &str) -> Option<(String, Template)> {
        for (waba_id, templates) in &self.by_waba {
            if let Some(template) = templates.iter().find(|t| t.id == id) {
                return Some((waba_id.clone(), template.clone()));
            }
        }
        self.by_waba
            .keys()
            .chain(&self.listed)
            .map(|waba_id| (waba_id.to_owned(), hello_world(waba_id)))
            .find(|(_, sample)| sample.id == id)
    }

    fn created_mut(&mut self, id: &str) -> Option<&mut Template> {
        self.by_waba
            .values_mut()
            .flat_map(|templates| templates.iter_mut())
            .find(|t| t.id == id)
    }

    /// Edits a template by Meta's rules: only an APPROVED one (PENDING is
    /// under review), not its category once approved, and an approved one
    /// once a day. It stays approved.
    pub fn edit(&mut self, id: &str, edit: Edit, now: Millis) -> Result<Template, MetaError> {
        let Some(template) = self.created_mut(id) else {
            if self.by_id(id).is_some_and(|(_, t)| t.is_sample()) {
                return Err(refused(
                    "Sample templates can't be edited",
                    format!(
                        "{HELLO_WORLD} is a sample template provided by Meta and can't be edited."
                    ),
                ));
            }
            return Err(MetaError::no_such_object(id));
        };
        if template.status == TemplateStatus::Pending {
            return Err(refused(
                "Template can't be edited",
                "Only templates with an APPROVED, REJECTED or PAUSED status can be edited; this one is PENDING review.".into(),
            ));
        }
        if edit
            .category
            .is_some_and(|category| category != template.category)
        {
            return Err(refused(
                "Category can't be edited",
                "You can't edit the category of an approved template.".into(),
            ));
        }
        if template
            .edited_at
            .is_some_and(|at| now.saturating_sub(at) < EDIT_WINDOW_MS)
        {
            return Err(refused(
                "Edit limit reached",
                "An approved template can be edited once in 24 hours.".into(),
            ));
        }
        if let Some(components) = edit.components {
            template.components = components;
        }
        template.edited_at = Some(now);
        Ok(template.clone())
    }

    /// Approves a PENDING template; returns it when it was pending.
    pub fn approve(&mut self, id: &str) -> Option<Template> {
        let template = self.created_mut(id)?;
        if template.status != TemplateStatus::Pending {
            return None;
        }
        template.status = TemplateStatus::Approved;
        Some(template.clone())
    }

    /// Deletes the WABA's templates named `name` (every language), or only
    /// the one with the id `hsm_id`.
    pub fn delete(
        &mut self,
        waba_id: &str,
        name: &str,
        hsm_id: Option<&str>,
    ) -> Result<(), MetaError> {
        if name == HELLO_WORLD && hsm_id.is_none_or(|id| id == hello_world(waba_id).id) {
            return Err(refused(
                "Sample templates can't be deleted",
                format!(
                    "{HELLO_WORLD} is a sample template provided by Meta and can't be deleted."
                ),
            ));
        }
        let templates = self.by_waba.get_mut(waba_id);
        let before = templates.as_ref().map_or(0, |list| list.len());
        if let Some(templates) = templates {
            templates.retain(|t| !(t.name == name && hsm_id.is_none_or(|id| t.id == id)));
            let removed = before - templates.len();
            if templates.is_empty() {
                self.by_waba.remove(waba_id);
            }
            if removed > 0 {
                self.total -= removed;
                return Ok(());
            }
        }
        Err(refused(
            "Message template not found",
            match hsm_id {
                Some(id) => {
                    format!("There is no message template {name} with the id {id} in this account.")
                }
                None => format!("There is no message template named {name} in this account."),
            },
        ))
    }

    /// The category of the template `name` in `language` when it is
    /// APPROVED in `waba_id` (`None`: a number of no known WABA, which has
    /// only the sample).
    pub fn approved(
        &self,
        waba_id: Option<&str>,
        name: &str,
        language: &str,
    ) -> Option<TemplateCategory> {
        // Every WABA has the sample, approved; it can be neither edited
        // nor deleted, and no other template takes its name and language
        // (see `create`): known without being built, as every send asks.
        if name == HELLO_WORLD && language == HELLO_WORLD_LANGUAGE {
            return Some(TemplateCategory::Utility);
        }
        self.by_waba
            .get(waba_id?)?
            .iter()
            .find(|t| t.name == name && t.language == language)
            .filter(|t| t.status == TemplateStatus::Approved)
            .map(|t| t.category)
    }

    /// A page of the WABA's templates matching `filter`, after the cursor.
    pub fn page(
        &mut self,
        waba_id: &str,
        filter: &Filter,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page, MetaError> {
        if self.listed.len() < MAX_WABAS {
            self.listed.insert(waba_id.to_owned());
        }
        let matching: Vec<Template> = self
            .all(waba_id)
            .filter(|t| {
                filter
                    .name
                    .as_deref()
                    .is_none_or(|part| t.name.contains(part))
            })
            .filter(|t| {
                filter
                    .status
                    .as_deref()
                    .is_none_or(|status| status.eq_ignore_ascii_case(t.status.as_str()))
            })
            .collect();
        let start = match after {
            None => 0,
            Some(after) => {
                matching
                    .iter()
                    .position(|t| cursor(&t.id) == after)
                    .ok_or_else(|| {
                        MetaError::invalid_parameter(format!("Invalid cursor after: {after}"))
                    })?
                    + 1
            }
        };
        let limit = limit.clamp(1, MAX_PAGE);
        let data: Vec<Template> = matching.iter().skip(start).take(limit).cloned().collect();
        Ok(Page {
            before: data.first().map(|t| cursor(&t.id)),
            after: data.last().map(|t| cursor(&t.id)),
            more: start + data.len() < matching.len(),
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str, language: &str) -> NewTemplate {
        NewTemplate {
            name: name.into(),
            language: language.into(),
            category: TemplateCategory::Marketing,
            components: json!([{"type": "BODY", "text": "Hi"}]),
        }
    }

    #[test]
    fn every_waba_has_the_approved_sample_and_only_its_own_templates() {
        let mut templates = Templates::default();
        assert_eq!(
            templates.approved(Some("w1"), HELLO_WORLD, HELLO_WORLD_LANGUAGE),
            Some(TemplateCategory::Utility)
        );
        assert_eq!(
            templates.approved(None, HELLO_WORLD, HELLO_WORLD_LANGUAGE),
            Some(TemplateCategory::Utility)
        );
        assert_eq!(templates.approved(None, HELLO_WORLD, "en"), None);
        let created = templates.create("w1", new("promo", "en")).expect("created");
        assert_eq!(created.status, TemplateStatus::Pending);
        assert_eq!(templates.approved(Some("w1"), "promo", "en"), None);
        assert_eq!(
            templates.approve(&created.id).map(|t| t.status),
            Some(TemplateStatus::Approved)
        );
        assert_eq!(templates.approve(&created.id), None, "approved once");
        assert_eq!(
            templates.approved(Some("w1"), "promo", "en"),
            Some(TemplateCategory::Marketing)
        );
        assert_eq!(templates.approved(Some("w2"), "promo", "en"), None);
        assert_eq!(templates.approved(Some("w1"), "promo", "de"), None);
        assert_ne!(hello_world("w1").id, hello_world("w2").id);
        let sample = hello_world("w3").id;
        assert!(templates.by_id(&sample).is_none());
        templates
            .page("w3", &Filter::default(), 10, None)
            .expect("listed");
        assert_eq!(
            templates.by_id(&sample).map(|(waba, t)| (waba, t.name)),
            Some(("w3".to_owned(), HELLO_WORLD.to_owned()))
        );
    }

    #[test]
    fn a_second_language_is_fine_a_second_copy_is_not() {
        let mut templates = Templates::default();
        templates.create("w", new("promo", "en")).expect("en");
        templates.create("w", new("promo", "de")).expect("de");
        let again = templates
            .create("w", new("promo", "en"))
            .expect_err("twice");
        assert_eq!(again.user.and_then(|user| user.subcode), Some(2_388_024));
        templates
            .create("v", new("promo", "en"))
            .expect("another WABA");
        templates
            .create("w", new(HELLO_WORLD, HELLO_WORLD_LANGUAGE))
            .expect_err("the sample is there");
    }

    #[test]
    fn a_waba_holds_at_most_metas_limit() {
        let mut templates = Templates::default();
        for n in 0..MAX_PER_WABA - 1 {
            templates
                .create("w", new(&format!("t{n}"), "en"))
                .expect("room");
        }
        let full = templates
            .create("w", new("one_more", "en"))
            .expect_err("full");
        assert!(
            full.details
                .is_some_and(|text| text.contains("limit of 250"))
        );
        templates.delete("w", "t0", None).expect("deleted");
        templates
            .create("w", new("one_more", "en"))
            .expect("room again");
    }

    #[test]
    fn pages_follow_the_cursor_and_filters() {
        let mut templates = Templates::default();
        for name in ["order_a", "order_b", "promo", "order_c"] {
            let t = templates.create("w", new(name, "en")).expect("created");
            if name != "order_b" {
                templates.approve(&t.id);
            }
        }
        let filter = Filter {
            name: Some("order".into()),
            status: Some("approved".into()),
        };
        let first = templates.page("w", &filter, 1, None).expect("page");
        assert_eq!(first.data[0].name, "order_a");
        assert!(first.more);
        let second = templates
            .page("w", &filter, 1, first.after.as_deref())
            .expect("page");
        assert_eq!(second.data[0].name, "order_c");
        assert!(!second.more);
        let all = templates
            .page("w", &Filter::default(), 100, None)
            .expect("all");
        let names: Vec<_> = all.data.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [HELLO_WORLD, "order_a", "order_b", "promo", "order_c"]
        );
        templates
            .page("w", &filter, 1, Some("bogus"))
            .expect_err("unknown cursor");
    }

    #[test]
    fn edits_follow_metas_rules() {
        let mut templates = Templates::default();
        let t = templates.create("w", new("promo", "en")).expect("created");
        let components = Edit {
            category: None,
            components: Some(json!([{"type": "BODY", "text": "Hello"}])),
        };
        templates
            .edit(&t.id, components.clone(), 0)
            .expect_err("pending");
        templates.approve(&t.id);
        let recategorised = Edit {
            category: Some(TemplateCategory::Utility),
            components: None,
        };
        templates
            .edit(&t.id, recategorised, 0)
            .expect_err("category of an approved one");
        let edited = templates
            .edit(&t.id, components.clone(), 0)
            .expect("edited");
        assert_eq!(edited.components[0]["text"], "Hello");
        assert_eq!(edited.status, TemplateStatus::Approved);
        templates
            .edit(&t.id, components.clone(), EDIT_WINDOW_MS - 1)
            .expect_err("once a day");
        templates
            .edit(&t.id, components, EDIT_WINDOW_MS)
            .expect("a day later");
        templates
            .edit(
                "123",
                Edit {
                    category: None,
                    components: None,
                },
                0,
            )
            .expect_err("no such id");
    }

    #[test]
    fn deletes_by_name_or_by_id_within_the_waba() {
        let mut templates = Templates::default();
        let en = templates.create("w", new("promo", "en")).expect("en");
        templates.create("w", new("promo", "de")).expect("de");
        templates
            .delete("v", "promo", Some(&en.id))
            .expect_err("another WABA");
        templates.delete("w", "promo", Some(&en.id)).expect("by id");
        assert!(templates.by_id(&en.id).is_none());
        templates.delete("w", "promo", None).expect("by name");
        templates.delete("w", "promo", None).expect_err("gone");
        templates
            .delete("w", HELLO_WORLD, None)
            .expect_err("Meta's sample stays");
    }
}
