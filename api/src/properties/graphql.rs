use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use entity::{enums, property_definition};

use super::service::{self, DefinitionPatch, NewDefinition};
use crate::graphql::{
    context::{actor, db, parse_id},
    loaders::PropertyRow,
    types::DeletePayload,
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "enums::PropertyType")]
pub enum PropertyType {
    Text,
    Number,
    Boolean,
    Date,
    Email,
    List,
}

/// A typed custom field of the organization's contacts.
#[derive(SimpleObject, Clone)]
pub struct PropertyDefinition {
    pub id: ID,
    /// Immutable; flows and integrations address values by it.
    pub key: String,
    pub label: String,
    #[graphql(name = "type")]
    pub kind: PropertyType,
    /// For LIST: the allowed values.
    pub options: Vec<String>,
    /// Hidden properties are left out of `Contact.properties` unless asked for.
    pub hidden: bool,
    pub position: i32,
}

impl From<property_definition::Model> for PropertyDefinition {
    fn from(m: property_definition::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            options: service::options(&m),
            key: m.key,
            label: m.label,
            kind: m.kind.into(),
            hidden: m.hidden,
            position: m.position,
        }
    }
}

/// A contact's value for one property.
#[derive(SimpleObject)]
pub struct PropertyValue {
    pub definition: PropertyDefinition,
    pub value: Json<serde_json::Value>,
}

impl From<PropertyRow> for PropertyValue {
    fn from((definition, value): PropertyRow) -> Self {
        Self { definition: definition.into(), value: Json(value.value) }
    }
}

#[derive(InputObject)]
pub struct CreatePropertyDefinitionInput {
    /// Lower-case letters, digits and `_`, starting with a letter; cannot change later.
    pub key: String,
    pub label: String,
    #[graphql(name = "type")]
    pub kind: PropertyType,
    pub options: Option<Vec<String>>,
    #[graphql(default = false)]
    pub hidden: bool,
    pub position: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdatePropertyDefinitionInput {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub hidden: Option<bool>,
    pub position: Option<i32>,
}

#[derive(Default)]
pub struct PropertyQuery;

#[Object]
impl PropertyQuery {
    /// The organization's property definitions in display order.
    async fn property_definitions(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true)] include_hidden: bool,
    ) -> async_graphql::Result<Vec<PropertyDefinition>> {
        let defs = service::definitions(db(ctx), actor(ctx)?, include_hidden).await?;
        Ok(defs.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct PropertyMutation;

#[Object]
impl PropertyMutation {
    /// Adds a custom property (admins).
    async fn create_property_definition(
        &self,
        ctx: &Context<'_>,
        input: CreatePropertyDefinitionInput,
    ) -> async_graphql::Result<PropertyDefinition> {
        let new = NewDefinition {
            key: input.key,
            label: input.label,
            kind: input.kind.into(),
            options: input.options.unwrap_or_default(),
            hidden: input.hidden,
            position: input.position,
        };
        Ok(service::create_definition(db(ctx), actor(ctx)?, new).await?.into())
    }

    /// Changes a property's label, options, visibility or position (admins); key and type are fixed.
    async fn update_property_definition(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdatePropertyDefinitionInput,
    ) -> async_graphql::Result<PropertyDefinition> {
        let patch = DefinitionPatch {
            label: input.label,
            options: input.options,
            hidden: input.hidden,
            position: input.position,
        };
        Ok(service::update_definition(db(ctx), actor(ctx)?, parse_id(&id, "id")?, patch).await?.into())
    }

    /// Deletes a property and every contact's value of it (admins); the organization's audit trail keeps
    /// what it was and how many values went.
    async fn delete_property_definition(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        service::delete_definition(db(ctx), actor(ctx)?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }
}
