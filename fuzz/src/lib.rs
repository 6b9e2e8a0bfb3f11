//! Oracles and harness shared by the fuzz targets in `fuzz_targets/`.
//!
//! Every oracle reads the input with serde_json (an ordered tree, see
//! [`json`]) and the rules written in the guide (book/), docs/DESIGN.md and
//! runtime/src/aws_rules.md, never with the project's own readers, so a bug in a
//! reader shows up as a disagreement. See docs/fuzzing.md.

pub mod event;
pub mod event_reading;
pub mod handlers;
pub mod json;
pub mod json_body;
pub mod known;
pub mod mutate;
pub mod stats;
pub mod validator;

use json::J;

/// A short JSON rendering of an oracle tree, for failure messages.
pub fn show(value: &J) -> String {
    let mut out = String::new();
    write(value, &mut out);
    if out.len() > 400 {
        let mut cut = 400;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("...");
    }
    out
}

fn write(value: &J, out: &mut String) {
    match value {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(&n.to_string()),
        J::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        J::Obj(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key).unwrap_or_default());
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
    }
}
