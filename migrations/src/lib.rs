//! Database schema. Runs at server start-up (`Migrator::up`) and from the CLI in `src/main.rs`.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_foundation;
mod m20261129_000002_sign_in_attempts;
mod m20261129_000003_stripe_connections;
mod m20261129_000004_outbox;
mod m20261129_000005_card_requests;
mod m20261129_000006_link_guesses;
mod m20261129_000007_charging;
mod m20261130_000008_customer_links;
mod m20261130_000009_stripe_account_scope;
mod m20261130_000010_stripe_event_claims;
mod m20261130_000011_outbox_retries;
mod m20261130_000012_sign_up_attempts;
mod m20261130_000013_email_confirmations;
mod m20261130_000014_customer_search;
mod m20261130_000015_profile_indexes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_foundation::Migration),
            Box::new(m20261129_000002_sign_in_attempts::Migration),
            Box::new(m20261129_000003_stripe_connections::Migration),
            Box::new(m20261129_000004_outbox::Migration),
            Box::new(m20261129_000005_card_requests::Migration),
            Box::new(m20261129_000006_link_guesses::Migration),
            Box::new(m20261129_000007_charging::Migration),
            Box::new(m20261130_000008_customer_links::Migration),
            Box::new(m20261130_000009_stripe_account_scope::Migration),
            Box::new(m20261130_000010_stripe_event_claims::Migration),
            Box::new(m20261130_000011_outbox_retries::Migration),
            Box::new(m20261130_000012_sign_up_attempts::Migration),
            Box::new(m20261130_000013_email_confirmations::Migration),
            Box::new(m20261130_000014_customer_search::Migration),
            Box::new(m20261130_000015_profile_indexes::Migration),
        ]
    }
}
