//! A set of strings with a fast, non-cryptographic hash.
//!
//! The response keeps each failed identifier once; with the standard
//! library's SipHash that check cost more than everything else done for a
//! record skipped by a FIFO rule. Identifiers are made by AWS (message ids,
//! sequence numbers), not chosen by whoever sends the message, so a hash
//! that an attacker could collide on purpose is not a concern here.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashSet<&str>` with [`WordHasher`].
pub(crate) type StrSet<'a> = HashSet<&'a str, BuildHasherDefault<WordHasher>>;

/// Multiply-rotate hashing, eight bytes at a time.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct WordHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the low bits weak, and the table picks its
        // bucket from them: fold the high bits down.
        let hash = self.0 ^ (self.0 >> 33);
        hash.wrapping_mul(0xff51_afd7_ed55_8ccd) ^ (hash >> 29)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_each_string_once() {
        let mut set = StrSet::default();
        let ids = [
            "a",
            "b",
            "a",
            "059f36b4-87a3-44ab-83d2-661975830a7d",
            "059f36b4-87a3-44ab-83d2-661975830a7e",
            "b",
        ];
        let kept: Vec<&str> = ids.into_iter().filter(|id| set.insert(id)).collect();
        assert_eq!(
            kept,
            ["a", "b", "059f36b4-87a3-44ab-83d2-661975830a7d", "059f36b4-87a3-44ab-83d2-661975830a7e"]
        );
    }

    #[test]
    fn different_strings_of_one_length_hash_apart() {
        let hash = |text: &str| {
            let mut hasher = WordHasher::default();
            hasher.write(text.as_bytes());
            hasher.finish()
        };
        assert_ne!(hash("m-0001"), hash("m-0002"));
        assert_ne!(hash("abcdefgh1"), hash("abcdefgh2"));
    }
}
