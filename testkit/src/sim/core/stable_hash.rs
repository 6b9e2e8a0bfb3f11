//! A stable hash, for ids and for spreading keys over shards and
//! partitions: the standard library's hasher is randomly seeded, so it is
//! not reproducible.

/// FNV-1a of `bytes`.
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}
