//! One definition per field for the GraphQL objects that wrap a row (`Contact`, `ContactStats`,
//! `PipelineStage`, `User`, `Tag`). `object_fields!` writes, from one list, both the engine's resolvers
//! and the table of plain fields that the contacts page answers in one pass (`contacts::graphql::page`),
//! so a field added or changed is one edit and both paths answer the same value.

use async_graphql::Value;

/// A type whose plain fields can be answered from its row without the engine.
pub trait Leaf: Copy + Sized {
    /// The GraphQL type's name.
    const TYPE: &'static str;
    /// Every field the table answers, by its GraphQL name.
    const NAMES: &'static [&'static str];
    type Row;
    fn field(name: &str) -> Option<Self>;
    fn value(self, row: &Self::Row) -> Value;
}

/// `object_fields!(Object(Row), table Table { .. })` for a `struct Object(pub Row)`, its fields in schema
/// order, each ending with `;`:
/// - `field "graphqlName" -> Type = |row| value` is a plain field, answered by the engine and by the
///   table alike (its type is a scalar or an enum, an input type too: that is how the table turns it into
///   the same `Value` the engine writes);
/// - `field => page Connection = |ctx, row, page| value` is a connection with the usual page arguments
///   and cost;
/// - `field => { .. }` holds resolvers that need the context or arguments, which only the engine answers.
///
/// One expansion writes it all: the engine's attribute and the cost expressions must come from the same
/// place for the expressions to see the variables the attribute defines.
#[macro_export]
macro_rules! object_fields {
    (
        $(#[$ometa:meta])* $object:ident($row:ty), table $table:ident {
            $(
                $(#[$meta:meta])* $field:ident
                $( $name:literal -> $ty:ty = |$r:ident| $value:expr )?
                $( => page $pty:ty = |$ctx:ident, $pr:ident, $page:ident| $pvalue:expr )?
                $( => { $($item:tt)* } )?
                ;
            )*
        }
    ) => {
        $(#[$ometa])*
        #[async_graphql::Object]
        impl $object {
            $(
                $(#[$meta])*
                $(
                    async fn $field(&self) -> $ty {
                        let $r = &self.0;
                        $value
                    }
                )?
                $(
                    #[graphql(complexity = "crate::graphql::query_limits::page_cost(first, last, child_complexity)")]
                    async fn $field(
                        &self,
                        $ctx: &async_graphql::Context<'_>,
                        first: Option<i32>,
                        after: Option<String>,
                        last: Option<i32>,
                        before: Option<String>,
                    ) -> async_graphql::Result<$pty> {
                        let ($pr, $page) = (&self.0, $crate::pagination::PageArgs { first, after, last, before });
                        $pvalue
                    }
                )?
                $( $($item)* )?
            )*
        }

        /// The plain fields of this type, answered from its row.
        #[derive(Clone, Copy)]
        #[allow(non_camel_case_types)]
        pub enum $table {
            $($( #[doc = $name] $field, )?)*
        }

        impl $crate::graphql::fields::Leaf for $table {
            const TYPE: &'static str = stringify!($object);
            const NAMES: &'static [&'static str] = &[$($( $name, )?)*];
            type Row = $row;

            fn field(name: &str) -> Option<Self> {
                match name {
                    $($( $name => Some(Self::$field), )?)*
                    _ => None,
                }
            }

            fn value(self, row: &$row) -> async_graphql::Value {
                match self {
                    $($(
                        Self::$field => {
                            let $r = row;
                            let value: $ty = $value;
                            async_graphql::InputType::to_value(&value)
                        }
                    )?)*
                }
            }
        }
    };
}
