//! Schema-registry prefixes on Kafka values and keys: recognised, read and
//! stripped before the Avro or Protobuf decoder sees the bytes.
//!
//! - Confluent: byte 0 is the magic byte `0x00`, bytes 1..5 the schema id
//!   (big-endian), then the encoded data; for Protobuf the data starts with
//!   the message indexes (zig-zag varints: a count, then the indexes; the
//!   single byte `0` means `[0]`, the first message of the schema). See
//!   Confluent's "Wire format"
//!   (<https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format>).
//! - AWS Glue Schema Registry: byte 0 is the header version `0x03`, byte 1
//!   the compression (`0x00` none, `0x05` zlib), bytes 2..18 the schema
//!   version id (a UUID), then the data, zlib-compressed when byte 1 says
//!   so; for Protobuf the data starts with the message index (one varint).
//!   See AWS's "AWS Glue Schema Registry"
//!   (<https://docs.aws.amazon.com/glue/latest/dg/schema-registry.html>)
//!   and the constants of its serializer library
//!   (`AWSSchemaRegistryConstants.java` in awslabs/aws-glue-schema-registry:
//!   `HEADER_VERSION_BYTE = 3`, `COMPRESSION_BYTE = 5`,
//!   `COMPRESSION_DEFAULT_BYTE = 0`, 16-byte schema version id).

use std::borrow::Cow;
use std::fmt;

use flate2::read::ZlibDecoder;

use crate::inflate::{MAX_DECOMPRESSED_BYTES, read_capped};

/// How a Kafka value or key names its schema: the prefix found before the
/// encoded data.
///
/// ```
/// use lambda_batch::kafka::WireFormat;
/// assert_eq!(WireFormat::detect(&[0, 0, 0, 0, 42, 2]), WireFormat::Confluent { schema_id: 42 });
/// assert_eq!(WireFormat::detect(b"\x0a\x03abc"), WireFormat::Plain);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WireFormat {
    /// No prefix: the bytes are the encoded value.
    Plain,
    /// Confluent Schema Registry: magic byte `0x00` and a schema id.
    Confluent {
        /// The schema id the producer registered.
        schema_id: u32,
    },
    /// AWS Glue Schema Registry: header version `0x03`, a compression byte
    /// and a schema version id.
    Glue {
        /// The schema version id (a UUID, as its 16 bytes).
        schema_version_id: [u8; 16],
        /// Whether the data is zlib-compressed (compression byte `0x05`).
        zlib: bool,
    },
}

/// Confluent's magic byte.
const CONFLUENT_MAGIC: u8 = 0x00;
/// Magic byte and schema id.
const CONFLUENT_HEADER: usize = 5;
/// Glue's header version byte.
const GLUE_VERSION: u8 = 0x03;
/// Glue's compression bytes: none, zlib.
const GLUE_UNCOMPRESSED: u8 = 0x00;
const GLUE_ZLIB: u8 = 0x05;
/// Version, compression and the 16-byte schema version id.
const GLUE_HEADER: usize = 18;

impl WireFormat {
    /// The prefix `bytes` start with, judged by their first bytes alone:
    /// Confluent when the first byte is `0x00` and there are at least 5,
    /// Glue when it is `0x03`, the second `0x00` or `0x05`, and there are at
    /// least 18; else plain.
    ///
    /// A Protobuf message never starts with `0x00` or `0x03` (field number
    /// 0 is invalid), so this is exact for Protobuf; a plain Avro datum may
    /// (a first field that is `null` in a union starts with `0x00`), which
    /// is why the [`Avro`](super::Avro) extractor also tries the bytes as
    /// plain when they do not decode after the prefix.
    pub fn detect(bytes: &[u8]) -> WireFormat {
        match *bytes {
            [CONFLUENT_MAGIC, a, b, c, d, ..] => {
                WireFormat::Confluent { schema_id: u32::from_be_bytes([a, b, c, d]) }
            }
            [GLUE_VERSION, compression @ (GLUE_UNCOMPRESSED | GLUE_ZLIB), ref rest @ ..]
                if rest.len() >= 16 =>
            {
                let mut id = [0u8; 16];
                id.copy_from_slice(&rest[..16]);
                WireFormat::Glue { schema_version_id: id, zlib: compression == GLUE_ZLIB }
            }
            _ => WireFormat::Plain,
        }
    }
}

impl fmt::Display for WireFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireFormat::Plain => f.write_str("no schema registry prefix"),
            WireFormat::Confluent { schema_id } => write!(f, "a Confluent prefix (schema id {schema_id})"),
            WireFormat::Glue { schema_version_id, zlib } => {
                let id = schema_version_id.iter().map(|byte| format!("{byte:02x}")).collect::<String>();
                let (a, b, c, d, e) = (&id[..8], &id[8..12], &id[12..16], &id[16..20], &id[20..]);
                let compression = if *zlib { ", zlib-compressed" } else { "" };
                write!(f, "an AWS Glue prefix (schema version {a}-{b}-{c}-{d}-{e}{compression})")
            }
        }
    }
}

/// Strips the prefix `format` names from `bytes` (as found by
/// [`WireFormat::detect`]), decompressing Glue zlib data (capped at
/// [`MAX_DECOMPRESSED_BYTES`]). `what` names the bytes ("the value").
pub(crate) fn strip<'a>(bytes: &'a [u8], format: WireFormat, what: &str) -> Result<Cow<'a, [u8]>, String> {
    match format {
        WireFormat::Plain => Ok(Cow::Borrowed(bytes)),
        WireFormat::Confluent { .. } => Ok(Cow::Borrowed(&bytes[CONFLUENT_HEADER..])),
        WireFormat::Glue { zlib: false, .. } => Ok(Cow::Borrowed(&bytes[GLUE_HEADER..])),
        WireFormat::Glue { zlib: true, .. } => {
            let what = format!("the zlib data of {what} (AWS Glue compression byte 0x05)");
            read_capped(ZlibDecoder::new(&bytes[GLUE_HEADER..]), MAX_DECOMPRESSED_BYTES, &what)
                .map(Cow::Owned)
        }
    }
}

/// Why `bytes` have no usable prefix although their first byte announces
/// one: a truncated header, or an unknown Glue compression byte. `None`
/// when the first byte announces none.
pub(crate) fn broken_prefix(bytes: &[u8]) -> Option<String> {
    match *bytes {
        [CONFLUENT_MAGIC, ..] if bytes.len() < CONFLUENT_HEADER => Some(format!(
            "it starts with the Confluent magic byte 0x00 but has {} bytes, fewer than the 5 of the magic byte \
             and schema id",
            bytes.len()
        )),
        [GLUE_VERSION, compression, ..] if compression != GLUE_UNCOMPRESSED && compression != GLUE_ZLIB => {
            Some(format!(
                "it starts with the AWS Glue header version 0x03 but its compression byte is 0x{compression:02x}, \
                 neither 0x00 (none) nor 0x05 (zlib)"
            ))
        }
        [GLUE_VERSION, ..] if bytes.len() < GLUE_HEADER => Some(format!(
            "it starts with the AWS Glue header version 0x03 but has {} bytes, fewer than the 18 of the header",
            bytes.len()
        )),
        _ => None,
    }
}
