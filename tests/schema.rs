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
