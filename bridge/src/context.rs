//! The `Context` of each invocation: a fresh request id, the deadline of
//! the function timeout, the function's ARN and configuration.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Config, Context};

/// The function an invocation is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Function {
    pub(crate) name: String,
    pub(crate) region: String,
    pub(crate) account: String,
    pub(crate) timeout: Duration,
}

/// A `Context` like Lambda's for one invocation starting now.
pub(crate) fn context(function: &Function) -> Context {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut cx = Context::default();
    cx.request_id = request_id();
    cx.deadline = u64::try_from((now + function.timeout).as_millis()).unwrap_or(u64::MAX);
    cx.invoked_function_arn =
        format!("arn:aws:lambda:{}:{}:function:{}", function.region, function.account, function.name);
    cx.env_config = Arc::new(Config {
        function_name: function.name.clone(),
        memory: 128,
        version: "$LATEST".to_owned(),
        log_stream: "local".to_owned(),
        log_group: format!("/aws/lambda/{}", function.name),
    });
    cx
}

/// A random request id shaped like Lambda's (a version 4 UUID), from the
/// standard library's randomly keyed hasher and a counter.
pub(crate) fn request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random = |salt: u64| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(count);
        hasher.write_u64(salt);
        hasher.finish()
    };
    let (high, low) = (random(1), random(2));
    // Version 4, variant 10xx.
    let high = (high & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let low = (low & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn request_ids_are_uuids_and_differ() {
        let ids: HashSet<String> = (0..1000).map(|_| request_id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(parts.iter().map(|part| part.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{id}");
            assert!(parts[2].starts_with('4'), "{id}");
            assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'), "{id}");
        }
    }

    #[test]
    fn the_deadline_is_the_function_timeout_away() {
        let function = Function {
            name: "orders".to_owned(),
            region: "eu-west-1".to_owned(),
            account: "123456789012".to_owned(),
            timeout: Duration::from_secs(30),
        };
        let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        let cx = context(&function);
        let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        assert!(cx.deadline >= before + 30_000 && cx.deadline <= after + 30_000);
        assert_eq!(cx.invoked_function_arn, "arn:aws:lambda:eu-west-1:123456789012:function:orders");
        assert_eq!(cx.env_config.function_name, "orders");
        assert!(!cx.request_id.is_empty());
    }
}
