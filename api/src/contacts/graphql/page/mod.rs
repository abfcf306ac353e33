//! A page of contacts answered in one pass. The engine resolves every field of every contact as a future
//! of its own and loads stages, assignees and tags through batch loaders that wait for a batch to fill;
//! on a list of 50 that was most of the server's work. For the selections lists ask for (the contact's
//! own fields, its stats, stage, assignee and tags), this reads the selection once, loads what the whole
//! page needs at once, and builds the answer directly. Any other selection (arguments, directives,
//! other fields, a response key given twice) goes through the engine as before, with the same result.

mod selection;

use std::{borrow::Cow, collections::HashMap};

use async_graphql::{
    ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value, indexmap::IndexMap, parser::types::Field,
    parser::types::SelectionSet, registry::Registry,
};
use entity::{contact, pipeline_stage, tag, user};
use selection::{Plan, fields, leaf_plan, project};
use uuid::Uuid;

use super::types::{Contact, ContactFields as Scalar, StatsFields as Stats};
use crate::{
    connection,
    graphql::{fields::Leaf, loaders::Loaders},
    pipeline::graphql::StageFields as Stage,
    tags::graphql::TagFields as Label,
    users::graphql::UserFields as Member,
};

connection!(ContactConnection, ContactEdge, Contact, ContactEdges);

/// The `edges` of a contacts connection.
pub struct ContactEdges(pub Vec<ContactEdge>);

impl From<Vec<ContactEdge>> for ContactEdges {
    fn from(edges: Vec<ContactEdge>) -> Self {
        Self(edges)
    }
}

impl OutputType for ContactEdges {
    fn type_name() -> Cow<'static, str> {
        <Vec<ContactEdge>>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<ContactEdge>>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<ContactEdge>>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        if let (Some(plan), Some(loaders)) = (edge_plan(ctx), ctx.data_opt::<Loaders>()) {
            // A failure to load goes to the engine too, which reports it on the field that needed it.
            if let Ok(Some(value)) = plan.answer(loaders, &self.0).await {
                return Ok(value);
            }
        }
        self.0.resolve(ctx, field).await
    }
}

enum NodeField {
    Typename,
    Scalar(Scalar),
    Stats(Plan<Stats>),
    Status(Plan<Stage>),
    Assignee(Plan<Member>),
    Tags(Plan<Label>),
}

enum EdgeField {
    Typename,
    Cursor,
    Node(Vec<(Name, NodeField)>),
}

struct EdgePlan(Vec<(Name, EdgeField)>);

fn edge_plan(ctx: &ContextSelectionSet<'_>) -> Option<EdgePlan> {
    let edge = |f: &Field| {
        let key = f.response_key().node.clone();
        let field = match f.name.node.as_str() {
            "__typename" => EdgeField::Typename,
            "cursor" => EdgeField::Cursor,
            "node" => EdgeField::Node(node_plan(ctx, &f.selection_set.node)?),
            _ => return None,
        };
        Some((key, field))
    };
    Some(EdgePlan(fields(ctx, &ctx.item.node, "ContactEdge")?.into_iter().map(edge).collect::<Option<_>>()?))
}

fn node_plan(ctx: &ContextSelectionSet<'_>, set: &SelectionSet) -> Option<Vec<(Name, NodeField)>> {
    let node = |f: &Field| {
        let key = f.response_key().node.clone();
        let sub = &f.selection_set.node;
        let field = match f.name.node.as_str() {
            "__typename" => NodeField::Typename,
            "stats" => NodeField::Stats(leaf_plan(ctx, sub)?),
            "stage" | "status" => NodeField::Status(leaf_plan(ctx, sub)?),
            "assignee" => NodeField::Assignee(leaf_plan(ctx, sub)?),
            "tags" => NodeField::Tags(leaf_plan(ctx, sub)?),
            name => NodeField::Scalar(Scalar::field(name)?),
        };
        Some((key, field))
    };
    fields(ctx, set, Scalar::TYPE)?.into_iter().map(node).collect()
}

/// What the page's contacts refer to, loaded for all of them at once.
struct Related {
    stages: HashMap<Uuid, pipeline_stage::Model>,
    users: HashMap<Uuid, user::Model>,
    tags: HashMap<Uuid, Vec<tag::Model>>,
}

impl EdgePlan {
    fn wants(&self, wanted: impl Fn(&NodeField) -> bool) -> bool {
        self.0.iter().any(|(_, f)| matches!(f, EdgeField::Node(node) if node.iter().any(|(_, f)| wanted(f))))
    }

    /// The page's answer, or `None` when a contact's stage is missing (the engine then reports it).
    async fn answer(&self, loaders: &Loaders, edges: &[ContactEdge]) -> crate::error::ApiResult<Option<Value>> {
        let contacts: Vec<&contact::Model> = edges.iter().map(|e| &e.node.0).collect();
        let ids = |of: fn(&contact::Model) -> Option<Uuid>| {
            let mut ids: Vec<Uuid> = contacts.iter().filter_map(|c| of(c)).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let (stage_ids, user_ids) = (ids(|c| Some(c.stage_id)), ids(|c| c.assignee_id));
        let want_stages = self.wants(|f| matches!(f, NodeField::Status(_)));
        let want_users = self.wants(|f| matches!(f, NodeField::Assignee(_)));
        let want_tags = self.wants(|f| matches!(f, NodeField::Tags(_)));
        let (stages, users, tags) = futures_util::try_join!(
            async { if want_stages { loaders.stages_now(&stage_ids).await } else { Ok(HashMap::new()) } },
            async { if want_users { loaders.users_now(&user_ids).await } else { Ok(HashMap::new()) } },
            async { if want_tags { loaders.tags_now(&contacts).await } else { Ok(HashMap::new()) } },
        )?;
        let related = Related { stages, users, tags };
        if want_stages && contacts.iter().any(|c| !related.stages.contains_key(&c.stage_id)) {
            return Ok(None);
        }
        let list = edges.iter().map(|edge| self.edge(edge, &related)).collect();
        Ok(Some(Value::List(list)))
    }

    fn edge(&self, edge: &ContactEdge, related: &Related) -> Value {
        let mut object = IndexMap::with_capacity(self.0.len());
        for (key, field) in &self.0 {
            let value = match field {
                EdgeField::Typename => Value::String("ContactEdge".to_owned()),
                EdgeField::Cursor => Value::String(edge.cursor.encode()),
                EdgeField::Node(plan) => node(plan, &edge.node.0, related),
            };
            object.insert(key.clone(), value);
        }
        Value::Object(object)
    }
}

fn node(plan: &[(Name, NodeField)], c: &contact::Model, related: &Related) -> Value {
    let mut object = IndexMap::with_capacity(plan.len());
    for (key, field) in plan {
        let value = match field {
            NodeField::Typename => Value::String(Scalar::TYPE.to_owned()),
            NodeField::Scalar(scalar) => scalar.value(c),
            NodeField::Stats(plan) => project(plan, c),
            NodeField::Status(plan) => related.stages.get(&c.stage_id).map_or(Value::Null, |s| project(plan, s)),
            NodeField::Assignee(plan) => {
                c.assignee_id.and_then(|id| related.users.get(&id)).map_or(Value::Null, |u| project(plan, u))
            }
            NodeField::Tags(plan) => {
                let tags = related.tags.get(&c.id).map(Vec::as_slice).unwrap_or_default();
                Value::List(tags.iter().map(|t| project(plan, t)).collect())
            }
        };
        object.insert(key.clone(), value);
    }
    Value::Object(object)
}
