//! `schema.graphql` is the contract clients code against: it must match the running schema.

#[test]
fn schema_graphql_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == api::schema::sdl(),
        "schema.graphql is out of date: run `cargo run -- export-schema` and commit the result"
    );
}

/// The fields the contacts page answers without the engine are named as the schema names them, so a
/// typo cannot quietly send every page through the slow path.
#[test]
fn the_one_pass_tables_name_real_fields() {
    use api::graphql::fields::Leaf;
    fn check<L: Leaf>(sdl: &str) {
        let header = format!("type {} {{", L::TYPE);
        let body = sdl.split(&header).nth(1).unwrap_or_else(|| panic!("{} is not in the schema", L::TYPE));
        let body = &body[..body.find("\n}").unwrap()];
        let fields: Vec<&str> = body
            .lines()
            .map(str::trim)
            .filter_map(|l| l.split([':', '(']).next().filter(|_| l.contains(':')))
            .collect();
        for name in L::NAMES {
            assert!(fields.contains(name), "{}.{name} is not a field of the schema", L::TYPE);
            assert!(L::field(name).is_some());
        }
    }
    let sdl = api::schema::sdl();
    check::<api::contacts::graphql::types::ContactFields>(&sdl);
    check::<api::contacts::graphql::types::StatsFields>(&sdl);
    check::<api::pipeline::graphql::StageFields>(&sdl);
    check::<api::users::graphql::UserFields>(&sdl);
    check::<api::tags::graphql::TagFields>(&sdl);
}
