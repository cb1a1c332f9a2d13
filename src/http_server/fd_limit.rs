//! The process's limit of open files: every connection holds one, so the
//! soft limit (often 1,024) is raised to the hard limit at start.

/// Descriptors kept for everything but incoming connections: the database,
/// outgoing requests to the Cloud API and to gates, logs.
const RESERVED: u64 = 256;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and logs the figure;
/// warns when `max_connections` does not fit under it.
pub fn raise(max_connections: usize) {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::info!(open_files = limit, max_connections, "open files limit");
            let wanted = u64::try_from(max_connections)
                .unwrap_or(u64::MAX)
                .saturating_add(RESERVED);
            if wanted > limit {
                tracing::warn!(
                    open_files = limit,
                    max_connections,
                    "--max-connections is above what the open files limit leaves for \
                     connections ({} kept for the rest); raise the hard limit or lower it",
                    RESERVED
                );
            }
        }
        Err(error) => tracing::warn!(%error, "cannot raise the open files limit"),
    }
}
