//! Reading a selection set into a plan the page can answer, and answering a plan from one row.

use async_graphql::{
    ContextSelectionSet, Name, Value,
    indexmap::IndexMap,
    parser::types::{Field, Selection, SelectionSet},
};

use crate::graphql::fields::Leaf;

/// The fields of one type the page answers from its row (`graphql::fields`). `None` in a plan stands for
/// `__typename`.
pub(super) type Plan<F> = Vec<(Name, Option<F>)>;

pub(super) fn project<F: Leaf>(plan: &Plan<F>, row: &F::Row) -> Value {
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
pub(super) fn fields<'a>(
    ctx: &ContextSelectionSet<'a>,
    set: &'a SelectionSet,
    type_name: &str,
) -> Option<Vec<&'a Field>> {
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

pub(super) fn leaf_plan<F: Leaf>(ctx: &ContextSelectionSet<'_>, set: &SelectionSet) -> Option<Plan<F>> {
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
