//! `action.sections` of list messages (rows) and of multi-product messages
//! and multi-product template buttons (product items): 1 to 10 sections,
//! each with a title (≤24); rows: id (≤200, unique), title (≤24),
//! description (≤72), at most 10 across all sections; product items: at
//! least 1 per section and at most 30 across all sections.

use serde::Deserialize;

use crate::violation::{Path, Rule};

use super::super::check::{Unique, Violations};
use super::super::limits::{
    PRODUCT_ITEMS_PER_SECTION_MIN, PRODUCT_ITEMS_TOTAL_MAX, ROW_DESCRIPTION_MAX, ROW_ID_MAX,
    ROW_TITLE_MAX, ROWS_PER_SECTION_MIN, ROWS_TOTAL_MAX, SECTION_TITLE_MAX, SECTIONS_MAX,
    SECTIONS_MIN,
};

/// One entry of `action.sections` as the client sent it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SectionObject {
    #[schema(max_length = 24)]
    pub title: Option<String>,
    #[schema(min_items = 1, max_items = 10)]
    pub rows: Option<Vec<RowObject>>,
    #[serde(rename = "product_items", alias = "productItems")]
    #[schema(min_items = 1, max_items = 30)]
    pub product_items: Option<Vec<ProductItemObject>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct RowObject {
    #[schema(required = true, nullable = false, min_length = 1, max_length = 200)]
    pub id: Option<String>,
    #[schema(required = true, nullable = false, min_length = 1, max_length = 24)]
    pub title: Option<String>,
    #[schema(max_length = 72)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ProductItemObject {
    #[serde(rename = "product_retailer_id", alias = "productRetailerId")]
    #[schema(required = true, nullable = false, min_length = 1)]
    pub product_retailer_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ListSection {
    pub(crate) title: String,
    pub(crate) rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProductSection {
    pub(crate) title: String,
    pub(crate) product_retailer_ids: Vec<String>,
}

const ROWS_TOTAL: &str = "rows across all sections";
const PRODUCTS_TOTAL: &str = "product items across all sections";

/// Counts entries across sections; the first entry past `max` gets a
/// `MaxTotal` violation.
struct Total {
    seen: usize,
    max: usize,
    items: &'static str,
}

impl Total {
    fn add(&mut self, path: &Path, violations: &mut Violations) -> bool {
        self.seen += 1;
        if self.seen == self.max + 1 {
            violations.push(
                path,
                Rule::MaxTotal {
                    max: self.max,
                    items: self.items,
                },
            );
        }
        self.seen <= self.max
    }
}

/// The sections of a list message.
pub(crate) fn list_sections(
    list: Vec<SectionObject>,
    path: &Path,
    violations: &mut Violations,
) -> Option<Vec<ListSection>> {
    let mut ids = Unique::default();
    let mut total = Total {
        seen: 0,
        max: ROWS_TOTAL_MAX,
        items: ROWS_TOTAL,
    };
    sections(
        list,
        path,
        violations,
        |section, section_path, violations| {
            let alone = violations.forbid(
                section_path,
                &[("product_items", section.product_items.is_some())],
                "in a list message",
            );
            let rows_path = section_path.field("rows");
            let rows = violations.required(&rows_path, section.rows)?;
            let counted =
                violations.count(&rows_path, rows.len(), ROWS_PER_SECTION_MIN, usize::MAX);
            let rows: Vec<Option<Row>> = rows
                .into_iter()
                .enumerate()
                .map(|(index, row)| {
                    let row_path = rows_path.index(index);
                    let within_total = total.add(&row_path, violations);
                    let id_path = row_path.field("id");
                    let id = violations
                        .required_text(&id_path, row.id, ROW_ID_MAX)
                        .filter(|id| ids.check(violations, &id_path, id));
                    let title = violations.required_text(
                        &row_path.field("title"),
                        row.title,
                        ROW_TITLE_MAX,
                    );
                    let description = violations.optional_text(
                        &row_path.field("description"),
                        row.description,
                        ROW_DESCRIPTION_MAX,
                    );
                    Some(Row {
                        id: id?,
                        title: title?,
                        description: description?,
                    })
                    .filter(|_| within_total)
                })
                .collect();
            let rows: Option<Vec<Row>> = rows.into_iter().collect();
            rows.filter(|_| counted && alone)
        },
    )
    .map(|sections| {
        sections
            .into_iter()
            .map(|(title, rows)| ListSection { title, rows })
            .collect()
    })
}

/// The sections of a multi-product message or multi-product template button.
pub(crate) fn product_sections(
    list: Vec<SectionObject>,
    path: &Path,
    violations: &mut Violations,
) -> Option<Vec<ProductSection>> {
    let mut total = Total {
        seen: 0,
        max: PRODUCT_ITEMS_TOTAL_MAX,
        items: PRODUCTS_TOTAL,
    };
    sections(
        list,
        path,
        violations,
        |section, section_path, violations| {
            let alone = violations.forbid(
                section_path,
                &[("rows", section.rows.is_some())],
                "in a multi-product message",
            );
            let items_path = section_path.field("product_items");
            let items = violations.required(&items_path, section.product_items)?;
            let counted = violations.count(
                &items_path,
                items.len(),
                PRODUCT_ITEMS_PER_SECTION_MIN,
                usize::MAX,
            );
            let ids: Vec<Option<String>> = items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    let item_path = items_path.index(index);
                    let within_total = total.add(&item_path, violations);
                    violations
                        .required_id(
                            &item_path.field("product_retailer_id"),
                            item.product_retailer_id,
                        )
                        .filter(|_| within_total)
                })
                .collect();
            let ids: Option<Vec<String>> = ids.into_iter().collect();
            ids.filter(|_| counted && alone)
        },
    )
    .map(|sections| {
        sections
            .into_iter()
            .map(|(title, product_retailer_ids)| ProductSection {
                title,
                product_retailer_ids,
            })
            .collect()
    })
}

/// What both kinds share: the section count and titles; `entries` checks a
/// section's rows or products.
fn sections<E>(
    list: Vec<SectionObject>,
    path: &Path,
    violations: &mut Violations,
    mut entries: impl FnMut(SectionObject, &Path, &mut Violations) -> Option<E>,
) -> Option<Vec<(String, E)>> {
    let counted = violations.count(path, list.len(), SECTIONS_MIN, SECTIONS_MAX);
    let checked: Vec<Option<(String, E)>> = list
        .into_iter()
        .enumerate()
        .map(|(index, mut section)| {
            let section_path = path.index(index);
            let title = violations.required_text(
                &section_path.field("title"),
                section.title.take(),
                SECTION_TITLE_MAX,
            );
            let entries = entries(section, &section_path, violations);
            Some((title?, entries?))
        })
        .collect();
    let checked: Option<Vec<(String, E)>> = checked.into_iter().collect();
    checked.filter(|_| counted)
}
