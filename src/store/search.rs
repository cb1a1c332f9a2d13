//! The operator's message search as one statement: only the conditions
//! asked for, each an indexed equality or range (`migrations/*/…_message_search.sql`),
//! with its values bound, never spliced into the text.

use super::{MessageSearch, Millis};

/// A value bound to the statement, in order (`$1`, `$2`, …).
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    Text(String),
    Number(Millis),
}

/// The statement of `search` with at most `limit` rows, and its values.
pub fn statement(search: &MessageSearch, limit: u32) -> (String, Vec<Bound>) {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    let bind = |value: Bound, values: &mut Vec<Bound>| {
        values.push(value);
        format!("${}", values.len())
    };
    for (column, value) in [
        ("m.message_id", &search.message_id),
        ("m.ref_id", &search.ref_id),
        ("m.destination", &search.destination),
        ("m.account_id", &search.account_id),
        ("m.source", &search.source),
    ] {
        if let Some(value) = value {
            let at = bind(Bound::Text(value.clone()), &mut values);
            conditions.push(format!("{column} = {at}"));
        }
    }
    if let Some(state) = search.state {
        let at = bind(Bound::Text(state.as_str().to_owned()), &mut values);
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM message_parts s WHERE s.message_id = m.message_id AND s.state = {at})"
        ));
    }
    if let Some(since) = search.since {
        let at = bind(Bound::Number(since), &mut values);
        conditions.push(format!("m.created_at >= {at}"));
    }
    if let Some(until) = search.until {
        let at = bind(Bound::Number(until), &mut values);
        conditions.push(format!("m.created_at < {at}"));
    }
    if let Some((created_at, message_id)) = &search.before {
        let time = bind(Bound::Number(*created_at), &mut values);
        let id = bind(Bound::Text(message_id.clone()), &mut values);
        conditions.push(format!(
            "(m.created_at < {time} OR (m.created_at = {time} AND m.message_id < {id}))"
        ));
    }
    let limit = bind(Bound::Number(i64::from(limit)), &mut values);
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT m.message_id, m.account_id, m.ref_id, m.source, m.destination, m.created_at,
                (SELECT COUNT(*) FROM message_parts p WHERE p.message_id = m.message_id) AS parts,
                (SELECT p.state FROM message_parts p WHERE p.message_id = m.message_id
                 ORDER BY p.message_index LIMIT 1) AS state
         FROM messages m {filter}
         ORDER BY m.created_at DESC, m.message_id DESC
         LIMIT {limit}"
    );
    (sql, values)
}

#[cfg(test)]
mod tests {
    use wagate_domain::MessageState;

    use super::*;

    #[test]
    fn only_the_conditions_asked_for_are_in_the_statement_in_order_of_their_values() {
        let (sql, values) = statement(&MessageSearch::default(), 50);
        assert!(!sql.contains("FROM messages m WHERE"), "{sql}");
        assert_eq!(values, [Bound::Number(50)]);

        let search = MessageSearch {
            ref_id: Some("order-7'; DROP TABLE messages; --".into()),
            state: Some(MessageState::Read),
            before: Some((1_000, "m9".into())),
            ..MessageSearch::default()
        };
        let (sql, values) = statement(&search, 20);
        assert!(sql.contains("WHERE m.ref_id = $1 AND EXISTS"), "{sql}");
        assert!(sql.contains("s.state = $2"), "{sql}");
        assert!(
            sql.contains("(m.created_at < $3 OR (m.created_at = $3 AND m.message_id < $4))"),
            "{sql}"
        );
        assert!(sql.contains("LIMIT $5"), "{sql}");
        assert!(
            !sql.contains("DROP"),
            "values are bound, not spliced: {sql}"
        );
        assert_eq!(
            values,
            [
                Bound::Text("order-7'; DROP TABLE messages; --".into()),
                Bound::Text("READ".into()),
                Bound::Number(1_000),
                Bound::Text("m9".into()),
                Bound::Number(20),
            ]
        );
    }
}
