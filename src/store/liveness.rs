//! Whether the store takes writes: the probe behind `/healthz`.

use super::{ts, Store};
use chrono::{DateTime, Utc};

impl Store {
    /// Write this instance's liveness row: an error if the database
    /// refuses writes (a full disk answers reads but not this).
    pub async fn probe_write(&self, instance: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO liveness (instance, at) VALUES ($1, $2)
             ON CONFLICT (instance) DO UPDATE SET at = excluded.at",
        )
        .bind(instance)
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
