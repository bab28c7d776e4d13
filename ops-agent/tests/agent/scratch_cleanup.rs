//! Every drill first drops the scratch databases killed drills left behind — of any backup,
//! listed or pruned — and leaves alone those a live drill holds.

use sqlx::Connection;

use crate::helpers::seeded::seeded;

async fn exists(pool: &sqlx::PgPool, name: &str) -> bool {
    sqlx::query_scalar("SELECT count(*) > 0 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_drill_drops_leftovers_of_unlisted_backups_but_not_a_live_drills_database() {
    let env = seeded().await;
    ops_agent::backup::take(&env.database(), &env.store())
        .await
        .unwrap();
    let suffix = rand::random::<u32>();
    // A drill of a backup since pruned, killed with -9; and one still running elsewhere.
    let stale = format!("ops_verify_20200101t000000z_dead_{suffix:08x}");
    let live = format!("ops_verify_20200101t000000z_live_{suffix:08x}");
    // The live drill's maintenance session holds the lock on its name, as a real drill does.
    let admin_url = env
        .db
        .url
        .replace(&format!("/{}", env.db.name), "/postgres");
    let mut holder = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    for name in [&stale, &live] {
        // Held while created, so no concurrent drill takes the stale one before ours.
        sqlx::query("SELECT pg_advisory_lock($1, hashtext($2))")
            .bind(ops_agent::restore::scratch::LOCK_CLASS)
            .bind(name)
            .execute(&mut holder)
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE \"{name}\" TEMPLATE template0"
        )))
        .execute(&mut holder)
        .await
        .unwrap();
    }
    // The stale one's drill is gone: its lock goes with it.
    sqlx::query("SELECT pg_advisory_unlock($1, hashtext($2))")
        .bind(ops_agent::restore::scratch::LOCK_CLASS)
        .bind(&stale)
        .execute(&mut holder)
        .await
        .unwrap();

    let report = ops_agent::restore::verify(&env.database(), &env.store(), None)
        .await
        .unwrap();
    assert!(report.passed, "{}", report.render());
    assert!(
        !exists(&env.db.pool, &stale).await,
        "the leftover is dropped"
    );
    assert!(
        report.stale_scratch_dropped.contains(&stale),
        "{:?}",
        report.stale_scratch_dropped
    );
    assert!(report.render().contains(&format!("dropped {stale}")));
    assert!(exists(&env.db.pool, &live).await, "a live drill's is kept");

    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE \"{live}\" WITH (FORCE)"
    )))
    .execute(&mut holder)
    .await
    .unwrap();
    holder.close().await.unwrap();
}
