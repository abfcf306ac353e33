//! Property values checked against their definition's type, and the typed columns that let filters
//! compare them (numbers as numbers, dates as ISO dates, text folded for case and accents).

use chrono::NaiveDate;
use entity::{contact_property_value as value, enums::PropertyType, property_definition};
use sea_orm::{ColumnTrait, Condition};
use serde_json::Value;

use crate::validate::fold;

pub const MAX_TEXT_CHARS: usize = 2_000;

/// A value in the form its column compares.
#[derive(Clone, Debug, PartialEq)]
pub enum Typed {
    /// TEXT, EMAIL, LIST: folded text. DATE: `YYYY-MM-DD`. BOOLEAN: `true`/`false`.
    Text(String),
    Number(f64),
}

impl Typed {
    pub fn equals(self) -> Condition {
        match self {
            Self::Text(t) => Condition::all().add(value::Column::ValueText.eq(t)),
            Self::Number(n) => Condition::all().add(value::Column::ValueNumber.eq(n)),
        }
    }

    pub fn less(self) -> Condition {
        match self {
            Self::Text(t) => Condition::all().add(value::Column::ValueText.lt(t)),
            Self::Number(n) => Condition::all().add(value::Column::ValueNumber.lt(n)),
        }
    }

    pub fn at_most(self) -> Condition {
        match self {
            Self::Text(t) => Condition::all().add(value::Column::ValueText.lte(t)),
            Self::Number(n) => Condition::all().add(value::Column::ValueNumber.lte(n)),
        }
    }

    pub fn greater(self) -> Condition {
        match self {
            Self::Text(t) => Condition::all().add(value::Column::ValueText.gt(t)),
            Self::Number(n) => Condition::all().add(value::Column::ValueNumber.gt(n)),
        }
    }

    pub fn at_least(self) -> Condition {
        match self {
            Self::Text(t) => Condition::all().add(value::Column::ValueText.gte(t)),
            Self::Number(n) => Condition::all().add(value::Column::ValueNumber.gte(n)),
        }
    }
}

/// A value ready to store: canonical JSON plus its typed column.
pub struct Stored {
    pub json: Value,
    pub text: Option<String>,
    pub number: Option<f64>,
}

/// Checks `raw` against the definition and returns what to store; the error says what was expected.
pub fn canonical(definition: &property_definition::Model, raw: &Value) -> Result<Stored, String> {
    let typed = typed(definition, raw)?;
    if definition.kind == PropertyType::List {
        let options = options(definition);
        let chosen = raw.as_str().unwrap_or_default().trim();
        let Some(option) = options.iter().find(|o| fold(o) == fold(chosen)) else {
            return Err(format!("Must be one of: {}", options.join(", ")));
        };
        return Ok(Stored { json: Value::String(option.clone()), text: Some(fold(option)), number: None });
    }
    Ok(match (definition.kind, typed) {
        // Whole numbers are stored as integers: 5, not 5.0.
        (_, Typed::Number(n)) => Stored { json: number_json(n), text: None, number: Some(n) },
        (PropertyType::Text, Typed::Text(folded)) => Stored {
            json: Value::String(raw.as_str().unwrap_or_default().trim().into()),
            text: Some(folded),
            number: None,
        },
        // Emails and dates are stored in their normal form; booleans as given.
        (PropertyType::Boolean, Typed::Text(text)) => Stored { json: raw.clone(), text: Some(text), number: None },
        (_, Typed::Text(text)) => Stored { json: Value::String(text.clone()), text: Some(text), number: None },
    })
}

/// The comparable form of `raw` for this definition's type (LIST options are checked by `canonical`).
pub fn typed(definition: &property_definition::Model, raw: &Value) -> Result<Typed, String> {
    match (definition.kind, raw) {
        (PropertyType::Text | PropertyType::List, Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() || s.chars().count() > MAX_TEXT_CHARS {
                return Err(format!("Must be text of 1 to {MAX_TEXT_CHARS} characters"));
            }
            Ok(Typed::Text(fold(s)))
        }
        (PropertyType::Email, Value::String(s)) => crate::values::Email::parse("value", s)
            .map(|e| Typed::Text(e.into()))
            .map_err(|_| "Must be an email address".to_string()),
        (PropertyType::Number, Value::Number(n)) => {
            n.as_f64().filter(|f| f.is_finite()).map(Typed::Number).ok_or_else(|| "Must be a number".to_string())
        }
        (PropertyType::Boolean, Value::Bool(b)) => Ok(Typed::Text(b.to_string())),
        (PropertyType::Date, Value::String(s)) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(|d| Typed::Text(d.format("%Y-%m-%d").to_string()))
            .map_err(|_| "Must be a date as YYYY-MM-DD".to_string()),
        (kind, _) => Err(format!("Must be a {}", type_name(kind))),
    }
}

fn number_json(n: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: beyond it f64 no longer holds every integer
    if n.fract() == 0.0 && n.abs() < EXACT { Value::from(n as i64) } else { Value::from(n) }
}

pub fn options(definition: &property_definition::Model) -> Vec<String> {
    serde_json::from_value(definition.options.clone()).unwrap_or_default()
}

fn type_name(kind: PropertyType) -> &'static str {
    match kind {
        PropertyType::Text => "text",
        PropertyType::Number => "number",
        PropertyType::Boolean => "boolean (true or false)",
        PropertyType::Date => "date as YYYY-MM-DD",
        PropertyType::Email => "email address",
        PropertyType::List => "text, one of the options",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(kind: PropertyType, options: Value) -> property_definition::Model {
        let now = chrono::Utc::now();
        property_definition::Model {
            id: uuid::Uuid::now_v7(),
            organization_id: uuid::Uuid::now_v7(),
            key: "k".into(),
            label: "K".into(),
            kind,
            options,
            hidden: false,
            position: 0,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn values_must_match_their_type() {
        assert!(canonical(&def(PropertyType::Number, json!([])), &json!(3.5)).is_ok());
        assert!(canonical(&def(PropertyType::Number, json!([])), &json!("3.5")).is_err());
        assert!(canonical(&def(PropertyType::Boolean, json!([])), &json!(true)).is_ok());
        assert!(canonical(&def(PropertyType::Boolean, json!([])), &json!("yes")).is_err());
        assert!(canonical(&def(PropertyType::Date, json!([])), &json!("2026-02-30")).is_err());
        assert_eq!(
            canonical(&def(PropertyType::Date, json!([])), &json!("2026-02-03")).unwrap().text.unwrap(),
            "2026-02-03"
        );
        assert!(canonical(&def(PropertyType::Email, json!([])), &json!("nope")).is_err());
        assert!(canonical(&def(PropertyType::Text, json!([])), &json!("")).is_err());
    }

    #[test]
    fn list_values_must_be_an_option_and_take_its_spelling() {
        let list = def(PropertyType::List, json!(["Apartment", "House"]));
        assert_eq!(canonical(&list, &json!("house")).unwrap().json, json!("House"));
        assert!(canonical(&list, &json!("Castle")).is_err());
    }
}
