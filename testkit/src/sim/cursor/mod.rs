//! What the stream and Kafka event source mappings share: a cursor per
//! shard or partition over numbered logs of records.

pub(crate) mod config;
pub(crate) mod cursors;
pub(crate) mod logs;
pub(crate) mod on_failure;
pub(crate) mod outcome;
