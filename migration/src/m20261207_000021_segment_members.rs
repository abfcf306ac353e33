//! Segment memberships, maintained: which contacts each segment holds, with the two columns a reader's count
//! needs (the assignee, for visibility, and the stage, for the segment's funnel). Every contact write
//! re-evaluates the segments of its organization for the contacts it touched, in its own transaction, so
//! counts read these rows instead of running each filter, and the difference before/after is the
//! segment's membership events.
//!
//! `segment_tallies` keeps how many members each segment has per assignee (the nil id for unassigned) and
//! stage, moved by the same writes: a reader's count is the sum of the few rows their reach includes.
//!
//! `selection` keeps a segment's filter in the server's own shape, for the writes that evaluate it;
//! `members_built_at` is set once its memberships are complete (a segment saved before this migration
//! has none until it is saved again, and is read by running its filter).

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, index, organization_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Segments {
    Table,
    Selection,
    MembersBuiltAt,
}

#[derive(DeriveIden)]
enum SegmentMembers {
    Table,
    SegmentId,
    OrganizationId,
    ContactId,
    AssigneeId,
    StageId,
}

#[derive(DeriveIden)]
enum SegmentTallies {
    Table,
    SegmentId,
    OrganizationId,
    AssigneeKey,
    StageId,
    Members,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [json_null(Segments::Selection), timestamp_with_time_zone_null(Segments::MembersBuiltAt)] {
            let mut column = column;
            manager.alter_table(Table::alter().table(Segments::Table).add_column(&mut column).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(SegmentMembers::Table)
                    .col(uuid(SegmentMembers::SegmentId))
                    .col(uuid(SegmentMembers::OrganizationId))
                    .col(uuid(SegmentMembers::ContactId))
                    .col(uuid_null(SegmentMembers::AssigneeId))
                    .col(uuid(SegmentMembers::StageId))
                    .primary_key(
                        Index::create()
                            .col(SegmentMembers::SegmentId)
                            .col(SegmentMembers::OrganizationId)
                            .col(SegmentMembers::ContactId),
                    )
                    .foreign_key(&mut organization_fk("segment_members"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                // A reader's count and funnel: one index-only range per assignee the reader sees.
                index(
                    "idx_segment_members_counts",
                    "segment_members",
                    &["segment_id", "organization_id", "assignee_id", "stage_id"],
                    false,
                ),
                // A write's "before": every segment one contact is in.
                index("idx_segment_members_contact", "segment_members", &["organization_id", "contact_id"], false),
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(SegmentTallies::Table)
                    .col(uuid(SegmentTallies::SegmentId))
                    .col(uuid(SegmentTallies::OrganizationId))
                    .col(uuid(SegmentTallies::AssigneeKey))
                    .col(uuid(SegmentTallies::StageId))
                    .col(big_integer(SegmentTallies::Members))
                    .primary_key(
                        Index::create()
                            .col(SegmentTallies::SegmentId)
                            .col(SegmentTallies::OrganizationId)
                            .col(SegmentTallies::AssigneeKey)
                            .col(SegmentTallies::StageId),
                    )
                    .foreign_key(&mut organization_fk("segment_tallies"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["segment_tallies", "segment_members"]).await?;
        for column in [Segments::Selection, Segments::MembersBuiltAt] {
            manager.alter_table(Table::alter().table(Segments::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
