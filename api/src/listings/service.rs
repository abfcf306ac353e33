use entity::listing;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::{
    auth::Actor,
    db::{new_id, now},
    error::{ApiError, ApiResult, conflict_on_unique},
    pagination::{Fetched, KeyValue, PageArgs},
    validate,
};

pub struct ListingInput {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub url: Option<String>,
}

/// A listing of the organization; BAD_USER_INPUT on `field` when there is none with this id.
pub async fn find(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
    field: &str,
) -> ApiResult<listing::Model> {
    listing::Entity::find_by_id(id)
        .filter(listing::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::bad_input(field, "Unknown listing"))
}

/// Listings newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    args: PageArgs,
    want_total: bool,
) -> ApiResult<Fetched<listing::Model>> {
    let page = args.resolve("listings", actor.organization_id())?;
    let query = listing::Entity::find().filter(listing::Column::OrganizationId.eq(actor.organization_id()));
    page.fetch(db, query, listing::Column::CreatedAt, listing::Column::Id, true, want_total, |l| {
        (KeyValue::Time(l.created_at), l.id)
    })
    .await
}

pub async fn create(db: &impl ConnectionTrait, actor: &Actor, input: ListingInput) -> ApiResult<listing::Model> {
    actor.require_admin()?;
    let title = validate::name("title", input.title.as_deref().unwrap_or_default())?;
    let slug = slug(input.slug.as_deref().unwrap_or(&title))?;
    let at = now();
    listing::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(actor.organization_id()),
        title: Set(title),
        slug: Set(slug),
        url: Set(input.url.map(|u| validate::text("url", &u, 2000)).transpose()?),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .map_err(|e| conflict_on_unique(e, "slug", "A listing with this slug already exists"))
}

pub async fn update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    input: ListingInput,
) -> ApiResult<listing::Model> {
    actor.require_admin()?;
    let current = find(db, actor.organization_id(), id, "id").await.map_err(|_| ApiError::not_found("Listing"))?;
    let mut model: listing::ActiveModel = current.into();
    if let Some(title) = input.title {
        model.title = Set(validate::name("title", &title)?);
    }
    if let Some(s) = input.slug {
        model.slug = Set(slug(&s)?);
    }
    if let Some(url) = input.url {
        model.url = Set(Some(validate::text("url", &url, 2000)?));
    }
    model.updated_at = Set(now());
    model.update(db).await.map_err(|e| conflict_on_unique(e, "slug", "A listing with this slug already exists"))
}

/// Deletes a listing (admins). Contacts that first asked about it and reservations of it keep everything
/// else; they just no longer name it. Recorded in the organization's audit trail.
pub async fn delete(conn: &sea_orm::DatabaseConnection, actor: &Actor, id: Uuid) -> ApiResult<()> {
    actor.require_admin()?;
    let txn = crate::db::begin_write(conn).await?;
    let db = &txn;
    let org = actor.organization_id();
    let listing = find(db, org, id, "id").await.map_err(|_| ApiError::not_found("Listing"))?;
    let none = sea_orm::sea_query::Expr::value(Option::<Uuid>::None);
    // Its contacts, whoever they are assigned to: segments on the listing let them go.
    let sourced: Vec<Uuid> = crate::visibility::Visible::system(org)
        .filter(entity::contact::Column::SourceListingId.eq(id))
        .into_select()
        .select_only()
        .column(entity::contact::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let contacts = entity::contact::Entity::update_many()
        .col_expr(entity::contact::Column::SourceListingId, none.clone())
        .filter(entity::contact::Column::OrganizationId.eq(org))
        .filter(entity::contact::Column::SourceListingId.eq(id))
        .exec(db)
        .await?
        .rows_affected;
    entity::reservation::Entity::update_many()
        .col_expr(entity::reservation::Column::ListingId, none)
        .filter(entity::reservation::Column::OrganizationId.eq(org))
        .filter(entity::reservation::Column::ListingId.eq(id))
        .exec(db)
        .await?;
    listing::Entity::delete_by_id(id).exec(db).await?;
    let before = serde_json::json!({ "id": id, "title": listing.title, "slug": listing.slug, "contacts": contacts });
    crate::audit::record(db, actor, None, "listing.deleted", Some(before), None).await?;
    crate::segments::members::refresh(db, org, &sourced).await?;
    txn.commit().await?;
    Ok(())
}

/// `Apartment in Escazú` becomes `apartment-in-escazu`.
fn slug(raw: &str) -> ApiResult<String> {
    let folded = validate::fold(raw);
    let slug =
        folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    if slug.is_empty() || slug.len() > 120 {
        return Err(ApiError::bad_input("slug", "A slug needs 1 to 120 letters or digits"));
    }
    Ok(slug)
}
