//! A page of contacts answered in one pass. The engine resolves every field of every contact as a future
//! of its own and loads stages, assignees and tags through batch loaders that wait for a batch to fill;
//! on a list of 50 that was most of the server's work. For the selections lists ask for (the contact's
//! own fields, its stats, stage, assignee and tags), this reads the selection once, loads what the whole
//! page needs at once, and builds the answer directly. Any other selection (arguments, directives,
//! other fields, a response key given twice) goes through the engine as before, with the same result.

use std::{borrow::Cow, collections::HashMap};

use async_graphql::{
    ContextSelectionSet, InputType, Name, OutputType, Positioned, ScalarType, ServerResult, Value,
    indexmap::IndexMap,
    parser::types::{Field, Selection, SelectionSet},
    registry::Registry,
};
use entity::{contact, pipeline_stage, tag, user};
use uuid::Uuid;

use super::types::{ContactEdge, ContactSource};
use crate::{graphql::loaders::Loaders, pipeline::graphql::StageKind, users::graphql::Role};

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

/// A type whose fields the page answers from one row. `None` in a plan stands for `__typename`.
trait Leaf: Copy + Sized {
    const TYPE: &'static str;
    type Row;
    fn field(name: &str) -> Option<Self>;
    fn value(self, row: &Self::Row) -> Value;
}

type Plan<F> = Vec<(Name, Option<F>)>;

fn project<F: Leaf>(plan: &Plan<F>, row: &F::Row) -> Value {
    let mut object = IndexMap::with_capacity(plan.len());
    for (key, field) in plan {
        let value = match field {
            Some(field) => field.value(row),
            None => Value::String(F::TYPE.to_owned()),
        };
        object.insert(key.clone(), value);
    }
    Value::Object(object)
}

/// The fields of a selection set with fragments on `type_name` flattened, or `None` when one is not plain:
/// it has arguments or directives, a fragment names another type, or a response key comes twice (the
/// engine merges those).
fn fields<'a>(ctx: &ContextSelectionSet<'a>, set: &'a SelectionSet, type_name: &str) -> Option<Vec<&'a Field>> {
    let mut out = Vec::new();
    collect(ctx, set, type_name, &mut out)?;
    let mut keys: Vec<&Name> = out.iter().map(|f| &f.response_key().node).collect();
    keys.sort_unstable();
    let before = keys.len();
    keys.dedup();
    (keys.len() == before).then_some(out)
}

fn collect<'a>(
    ctx: &ContextSelectionSet<'a>,
    set: &'a SelectionSet,
    type_name: &str,
    out: &mut Vec<&'a Field>,
) -> Option<()> {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                if !field.arguments.is_empty() || !field.directives.is_empty() {
                    return None;
                }
                out.push(field);
            }
            Selection::FragmentSpread(spread) => {
                let fragment = &ctx.query_env.fragments.get(&spread.node.fragment_name.node)?.node;
                let applies = fragment.type_condition.node.on.node == type_name;
                if !spread.node.directives.is_empty() || !fragment.directives.is_empty() || !applies {
                    return None;
                }
                collect(ctx, &fragment.selection_set.node, type_name, out)?;
            }
            Selection::InlineFragment(inline) => {
                let inline = &inline.node;
                let applies = inline.type_condition.as_ref().is_none_or(|c| c.node.on.node == type_name);
                if !inline.directives.is_empty() || !applies {
                    return None;
                }
                collect(ctx, &inline.selection_set.node, type_name, out)?;
            }
        }
    }
    Some(())
}

fn leaf_plan<F: Leaf>(ctx: &ContextSelectionSet<'_>, set: &SelectionSet) -> Option<Plan<F>> {
    let leaf = |f: &Field| {
        let key = f.response_key().node.clone();
        if f.name.node == "__typename" {
            return Some((key, None));
        }
        f.selection_set.node.items.is_empty().then_some(())?;
        Some((key, Some(F::field(&f.name.node)?)))
    };
    fields(ctx, set, F::TYPE)?.into_iter().map(leaf).collect()
}

#[derive(Clone, Copy)]
enum Scalar {
    Id,
    Name,
    NameEditedManually,
    Phone,
    WaId,
    Email,
    Source,
    MessagingWindowClosesAt,
    CreatedAt,
    UpdatedAt,
    LastActivityAt,
}

impl Leaf for Scalar {
    const TYPE: &'static str = "Contact";
    type Row = contact::Model;

    fn field(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "name" => Self::Name,
            "nameEditedManually" => Self::NameEditedManually,
            "phone" => Self::Phone,
            "waId" => Self::WaId,
            "email" => Self::Email,
            "source" => Self::Source,
            "messagingWindowClosesAt" => Self::MessagingWindowClosesAt,
            "createdAt" => Self::CreatedAt,
            "updatedAt" => Self::UpdatedAt,
            "lastActivityAt" => Self::LastActivityAt,
            _ => return None,
        })
    }

    fn value(self, c: &contact::Model) -> Value {
        match self {
            Self::Id => Value::String(c.id.to_string()),
            Self::Name => Value::String(c.name.clone()),
            Self::NameEditedManually => Value::Boolean(c.name_edited_manually),
            Self::Phone => optional(c.phone.as_deref()),
            Self::WaId => optional(c.wa_id.as_deref()),
            Self::Email => optional(c.email.as_deref()),
            Self::Source => ContactSource::from(c.source).to_value(),
            Self::MessagingWindowClosesAt => {
                c.last_inbound_at.map_or(Value::Null, |t| time(t + crate::conversations::WINDOW))
            }
            Self::CreatedAt => time(c.created_at),
            Self::UpdatedAt => time(c.updated_at),
            Self::LastActivityAt => time(c.last_activity_at),
        }
    }
}

#[derive(Clone, Copy)]
enum Stats {
    UserInitiated,
    BusinessInitiated,
    CancelledOutbounds,
    ReceivedNotifications,
}

impl Leaf for Stats {
    const TYPE: &'static str = "ContactStats";
    type Row = contact::Model;

    fn field(name: &str) -> Option<Self> {
        Some(match name {
            "userInitiatedConversations" => Self::UserInitiated,
            "businessInitiatedConversations" => Self::BusinessInitiated,
            "cancelledOutbounds" => Self::CancelledOutbounds,
            "receivedNotifications" => Self::ReceivedNotifications,
            _ => return None,
        })
    }

    fn value(self, c: &contact::Model) -> Value {
        Value::from(match self {
            Self::UserInitiated => c.user_initiated_conversations,
            Self::BusinessInitiated => c.business_initiated_conversations,
            Self::CancelledOutbounds => c.cancelled_outbounds,
            Self::ReceivedNotifications => c.received_notifications,
        })
    }
}

#[derive(Clone, Copy)]
enum Stage {
    Id,
    Name,
    Color,
    Kind,
    Position,
    Archived,
}

impl Leaf for Stage {
    const TYPE: &'static str = "PipelineStage";
    type Row = pipeline_stage::Model;

    fn field(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "name" => Self::Name,
            "color" => Self::Color,
            "kind" => Self::Kind,
            "position" => Self::Position,
            "archived" => Self::Archived,
            _ => return None,
        })
    }

    fn value(self, s: &pipeline_stage::Model) -> Value {
        match self {
            Self::Id => Value::String(s.id.to_string()),
            Self::Name => Value::String(s.name.clone()),
            Self::Color => Value::String(s.color.clone()),
            Self::Kind => StageKind::from(s.kind).to_value(),
            Self::Position => Value::from(s.position),
            Self::Archived => Value::Boolean(s.archived),
        }
    }
}

#[derive(Clone, Copy)]
enum Member {
    Id,
    Email,
    Name,
    Role,
    Active,
    CreatedAt,
}

impl Leaf for Member {
    const TYPE: &'static str = "User";
    type Row = user::Model;

    fn field(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "email" => Self::Email,
            "name" => Self::Name,
            "role" => Self::Role,
            "active" => Self::Active,
            "createdAt" => Self::CreatedAt,
            _ => return None,
        })
    }

    fn value(self, u: &user::Model) -> Value {
        match self {
            Self::Id => Value::String(u.id.to_string()),
            Self::Email => Value::String(u.email.clone()),
            Self::Name => Value::String(u.name.clone()),
            Self::Role => Role::from(u.role).to_value(),
            Self::Active => Value::Boolean(u.active),
            Self::CreatedAt => time(u.created_at),
        }
    }
}

#[derive(Clone, Copy)]
enum Label {
    Id,
    Name,
    Color,
    CreatedAt,
}

impl Leaf for Label {
    const TYPE: &'static str = "Tag";
    type Row = tag::Model;

    fn field(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "name" => Self::Name,
            "color" => Self::Color,
            "createdAt" => Self::CreatedAt,
            _ => return None,
        })
    }

    fn value(self, t: &tag::Model) -> Value {
        match self {
            Self::Id => Value::String(t.id.to_string()),
            Self::Name => Value::String(t.name.clone()),
            Self::Color => optional(t.color.as_deref()),
            Self::CreatedAt => time(t.created_at),
        }
    }
}

/// As the engine writes a `DateTime` (RFC 3339).
fn time(t: chrono::DateTime<chrono::Utc>) -> Value {
    ScalarType::to_value(&t)
}

fn optional(s: Option<&str>) -> Value {
    s.map_or(Value::Null, |s| Value::String(s.to_owned()))
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
            "status" => NodeField::Status(leaf_plan(ctx, sub)?),
            "assignee" => NodeField::Assignee(leaf_plan(ctx, sub)?),
            "tags" => NodeField::Tags(leaf_plan(ctx, sub)?),
            name => NodeField::Scalar(Scalar::field(name)?),
        };
        Some((key, field))
    };
    fields(ctx, set, Scalar::TYPE)?.into_iter().map(node).collect()
}

/// What the page's contacts refer to, loaded for all of them at once.
#[derive(Default)]
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
        let (stage_ids, user_ids, contact_ids) =
            (ids(|c| Some(c.stage_id)), ids(|c| c.assignee_id), ids(|c| Some(c.id)));
        let want_stages = self.wants(|f| matches!(f, NodeField::Status(_)));
        let want_users = self.wants(|f| matches!(f, NodeField::Assignee(_)));
        let want_tags = self.wants(|f| matches!(f, NodeField::Tags(_)));
        let (stages, users, tags) = futures_util::try_join!(
            async { if want_stages { loaders.stages_now(&stage_ids).await } else { Ok(HashMap::new()) } },
            async { if want_users { loaders.users_now(&user_ids).await } else { Ok(HashMap::new()) } },
            async { if want_tags { loaders.tags_now(&contact_ids).await } else { Ok(HashMap::new()) } },
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
                EdgeField::Cursor => Value::String(edge.cursor.clone()),
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
