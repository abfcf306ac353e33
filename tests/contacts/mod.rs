//! Contacts core: profiles, tags, notes, properties, the funnel, lists, and visibility on every path.

mod crud;
mod list;
mod pages;
mod properties;
mod search;
mod team;
mod visibility;
