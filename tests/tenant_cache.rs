//! The tenant cache (users, sources, gates kept in memory): a tenant row
//! deleted through the admin API is refused at once by the instance that
//! deleted it, and within moments by the other instances on the same
//! PostgreSQL database, even when that instance missed the notification
//! (its listening connection was lost). Every gateway here keeps cached
//! rows for an hour, so only the invalidation can explain a refusal.

mod common;

use std::time::Duration;

use common::process::Process;
use common::{Backend, Gateway, Tenant, eventually, request, spawn_app_with, text};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};

/// Longer than any test: a cached row that is dropped was dropped by an
/// invalidation, not by its age.
const LONG_TTL: &[&str] = &["--tenant-cache-ttl", "1h"];

/// How long another instance may take to hear of a change; far below the
/// TTL.
const NOTIFY_WITHIN: Duration = Duration::from_secs(15);

/// A request from `tenant` naming its gate, so that the source and the gate
/// are read (and cached) as well as the user.
fn with_gate(tenant: &Tenant) -> Value {
    let mut body = request(tenant, &["+46701234567"], text("hi"));
    body["eventReportGates"] = json!([tenant.gate_id]);
    body
}

/// Sends as `tenant` and asserts that it is accepted, which caches what the
/// request read.
async fn accepted(gateway: &Gateway, tenant: &Tenant) {
    let (status, answer) = gateway.send(tenant, &with_gate(tenant)).await;
    assert_eq!(status, 200, "{answer}");
}

async fn delete(gateway: &Gateway, path: &str) {
    let (status, answer) = gateway.admin(reqwest::Method::DELETE, path, None).await;
    assert_eq!(status, 204, "deleting {path}: {answer}");
}

on_backends!(a_deleted_user_is_refused_at_once);
async fn a_deleted_user_is_refused_at_once(backend: Backend) {
    let app = spawn_app_with(backend, LONG_TTL).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    accepted(&app, &tenant).await;

    delete(&app, &format!("/users/{}", tenant.username)).await;
    let (status, answer) = app.send(&tenant, &with_gate(&tenant)).await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["resultCode"], 112400, "{answer}");
}

on_backends!(a_deleted_gate_is_refused_at_once);
async fn a_deleted_gate_is_refused_at_once(backend: Backend) {
    let app = spawn_app_with(backend, LONG_TTL).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    accepted(&app, &tenant).await;

    delete(&app, &format!("/gates/{}", tenant.gate_id)).await;
    let (status, answer) = app.send(&tenant, &with_gate(&tenant)).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["resultCode"], 112402, "{answer}");
    assert!(
        answer["description"]
            .as_str()
            .is_some_and(|text| text.contains("eventReportGates[0]")),
        "{answer}"
    );
}

on_backends!(a_deleted_source_is_refused_at_once);
async fn a_deleted_source_is_refused_at_once(backend: Backend) {
    let app = spawn_app_with(backend, LONG_TTL).await;
    let tenant = app.tenant("acme", "+46700000001").await;
    accepted(&app, &tenant).await;

    let (status, sources) = app.admin(reqwest::Method::GET, "/sources", None).await;
    assert_eq!(status, 200, "{sources}");
    let id = sources
        .as_array()
        .and_then(|sources| {
            sources
                .iter()
                .find(|source| source["number"] == tenant.source.as_str())
        })
        .and_then(|source| source["id"].as_str())
        .unwrap_or_else(|| panic!("no source {} in {sources}", tenant.source))
        .to_owned();
    delete(&app, &format!("/sources/{id}")).await;
    let (status, answer) = app.send(&tenant, &with_gate(&tenant)).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["resultCode"], 112401, "{answer}");
}

/// Two gateways on one database, each caching for an hour.
fn two_instances(database: &common::TestDatabase) -> (Process, Process) {
    let first = Process::serve(database, LONG_TTL);
    let second = Process::serve(database, LONG_TTL);
    (first, second)
}

/// Sends as `tenant` through `gateway` until it is refused with 401.
async fn refused_within(gateway: &Gateway, tenant: &Tenant, within: Duration, what: &str) {
    eventually(within, what, || async {
        gateway.send(tenant, &with_gate(tenant)).await.0 == 401
    })
    .await;
}

on_postgres!(a_user_deleted_through_one_instance_is_refused_by_the_other);
async fn a_user_deleted_through_one_instance_is_refused_by_the_other() {
    let database = common::TestDatabase::create(Backend::Postgres).await;
    let (first, second) = two_instances(&database);
    let (first, second) = (first.gateway(), second.gateway());
    let tenant = first.tenant("acme", "+46700000001").await;
    accepted(&second, &tenant).await;

    delete(&first, &format!("/users/{}", tenant.username)).await;
    refused_within(
        &second,
        &tenant,
        NOTIFY_WITHIN,
        "the other instance to refuse the deleted user",
    )
    .await;
}

on_postgres!(an_instance_that_lost_its_listening_connection_forgets_its_cached_tenants);
async fn an_instance_that_lost_its_listening_connection_forgets_its_cached_tenants() {
    let database = common::TestDatabase::create(Backend::Postgres).await;
    let (first, second) = two_instances(&database);
    let second = second.gateway();
    let tenant = first.gateway().tenant("acme", "+46700000001").await;
    accepted(&second, &tenant).await;

    let mut connection = PgConnection::connect(database.url())
        .await
        .expect("connect");
    // A change nobody hears: triggers do not fire for a replica session.
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut connection)
        .await
        .expect("replica role");
    sqlx::query("DELETE FROM users WHERE username = $1")
        .bind(&tenant.username)
        .execute(&mut connection)
        .await
        .expect("delete the user");
    let (status, answer) = second.send(&tenant, &with_gate(&tenant)).await;
    assert_eq!(status, 200, "the change was heard after all: {answer}");

    // The instances' listening connections drop; once listening again, they
    // cannot know what they missed, so they forget what they cached.
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .execute(&mut connection)
    .await
    .expect("terminate the listeners");
    refused_within(
        &second,
        &tenant,
        NOTIFY_WITHIN,
        "the instance to refuse the user it missed the deletion of",
    )
    .await;
}
