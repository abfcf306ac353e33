//! The benchmark seed: deterministic, shaped as asked, and usable through the API.

use entity::{contact, organization};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::harness::TestApp;

fn options() -> bench::seed::Options {
    bench::seed::Options { large: 600, small_orgs: 2, small_size: 50, conversations: 140, notes: 154, seed: 7 }
}

async fn seeded() -> (TestApp, Vec<(uuid::Uuid, String, Option<String>)>) {
    let app = TestApp::new().await;
    bench::seed::run(&app.db, options()).await.unwrap();
    let rows = contact::Entity::find()
        .filter(contact::Column::OrganizationId.ne(app.org_id))
        .order_by_asc(contact::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.name, c.phone))
        .collect();
    (app, rows)
}

#[tokio::test]
async fn the_same_seed_gives_the_same_rows_and_the_asked_shape() {
    let (app, first) = seeded().await;
    let (_, second) = seeded().await;
    assert_eq!(first.len(), 700);
    assert_eq!(first, second, "same seed, same ids, names and phones");

    let large = organization::Entity::find()
        .filter(organization::Column::Name.eq(bench::seed::LARGE_ORG_NAME))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let in_large = || contact::Entity::find().filter(contact::Column::OrganizationId.eq(large.id));
    assert_eq!(in_large().count(&app.db).await.unwrap(), 600);
    let unassigned = in_large().filter(contact::Column::AssigneeId.is_null()).count(&app.db).await.unwrap();
    assert!((120..=240).contains(&unassigned), "about 30% unassigned, got {unassigned}");
    let mut phones: Vec<_> = first.iter().filter_map(|(_, _, p)| p.clone()).collect();
    let before = phones.len();
    phones.sort();
    phones.dedup();
    assert!(before - phones.len() <= 100, "phones repeat only across organizations");

    // A second run on the same database refuses instead of doubling the data.
    assert!(bench::seed::run(&app.db, options()).await.is_err());
}
