//! Decompression with a size cap, for gzip and zlib payloads.

use std::io::Read;

/// The most bytes one compressed payload may decompress to: 32 MiB (a
/// CloudWatch Logs subscription record, a zlib-compressed AWS Glue Schema
/// Registry value). A Lambda event is at most a few MiB and such payloads
/// compress about tenfold; one that expands past this (a compression bomb)
/// fails its record instead of taking the function's memory.
///
/// ```
/// assert_eq!(lambda_batch::envelope::MAX_DECOMPRESSED_BYTES, 32 << 20);
/// ```
pub const MAX_DECOMPRESSED_BYTES: usize = 32 * 1024 * 1024;

/// Reads `reader` (a decompressor) to its end, failing once it would give
/// more than `limit` bytes. `what` names the data in the message ("the gzip
/// data in `kinesis.data`").
pub(crate) fn read_capped(reader: impl Read, limit: usize, what: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader.take(cap).read_to_end(&mut out).map_err(|error| format!("{what} does not decompress: {error}"))?;
    if out.len() > limit {
        return Err(format!(
            "{what} decompresses to more than {limit} bytes, the most lambda-batch reads: a corrupt or hostile \
             payload (a compression bomb), failed rather than read whole"
        ));
    }
    Ok(out)
}
