//! How a lane's attempts are drawn: handled, replayed, failed, held back,
//! with their hover text, and the function timeout of each.

use std::fmt::Write as _;

use super::lanes::{Attempt, Lane};
use super::{LANE, escape, line};
use crate::sim::core::clock::Millis;

/// The fill of a replayed attempt.
pub(super) const REPLAYED: &str = "#2b7bb9";
/// What a replayed attempt is, in the legend and its hover text.
pub(super) const REPLAYED_WORDS: &str = "replayed: handled in an earlier delivery, not run again";

/// A lane's invisible spells and attempts, the lane's top at `y`;
/// `max_receive_count`: the queue's redrive limit, if it has a DLQ.
pub(super) fn lane_attempts(
    svg: &mut String,
    lane: &Lane,
    x: &impl Fn(Millis) -> f64,
    y: f64,
    max_receive_count: Option<u32>,
) {
    let mid = y + LANE / 2.0;
    for &(from, to) in &lane.invisible {
        let tip = format!("invisible until the visibility timeout ends ({} ms)", to - from);
        line(svg, x(from), x(to), mid, "#f4b6b6", 3.0, &tip);
    }
    for attempt in &lane.attempts {
        if let Some(deadline) = attempt.deadline {
            // The function timeout: the gap before it is the time to spare.
            let tip = format!("invocation {}: the function timeout", attempt.invocation);
            let _ = write!(
                svg,
                r##"<rect x="{:.1}" y="{:.1}" width="1.5" height="{:.1}" fill="#888"><title>{}</title></rect>"##,
                x(deadline),
                y + 2.0,
                LANE - 4.0,
                escape(&tip)
            );
        }
        if attempt.replayed {
            continue;
        }
        let (fill, stroke, tip) = attempt_look(attempt, max_receive_count);
        let width = (x(attempt.to) - x(attempt.from)).max(3.0);
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{width:.1}" height="{:.1}" fill="{fill}"{stroke}><title>{}</title></rect>"#,
            x(attempt.from),
            y + 4.0,
            LANE - 8.0,
            escape(&tip)
        );
    }
}

/// How an attempt is drawn: fill, outline (attributes) and hover text.
/// Handled is green, replayed (handled in an earlier delivery, not run
/// again) blue, failed red, held back behind an earlier failure of its FIFO
/// group pale with a dashed red outline; the last receive before the DLQ
/// has a purple outline.
fn attempt_look(attempt: &Attempt, max_receive_count: Option<u32>) -> (&'static str, &'static str, String) {
    let Attempt { to, ok, invocation, deadline, held_back, receive, ref why, replayed, .. } = *attempt;
    let margin = match deadline {
        Some(deadline) if deadline > to => {
            format!("\nanswered {} ms before the function timeout", deadline - to)
        }
        Some(_) => "\nstopped at the function timeout".to_owned(),
        None => String::new(),
    };
    let last = max_receive_count.filter(|&max| receive >= max);
    let receives = match (max_receive_count, last) {
        (Some(max), Some(_)) => format!("\nreceive {receive} of {max}: the next receive moves it to the DLQ"),
        (Some(max), None) => format!("\nreceive {receive} of {max}"),
        (None, _) => format!("\nreceive {receive}"),
    };
    let outline = if last.is_some() && !ok { r##" stroke="#7b3fb5" stroke-width="2""## } else { "" };
    if replayed {
        let then = if ok { "deleted".to_owned() } else { format!("not deleted, will come back\nwhy: {why}") };
        (REPLAYED, "", format!("invocation {invocation}: {REPLAYED_WORDS}; {then}{margin}{receives}"))
    } else if ok {
        ("#3a9d4a", "", format!("invocation {invocation}: handled, deleted{margin}{receives}"))
    } else if held_back {
        let outline =
            if outline.is_empty() { r##" stroke="#d43c3c" stroke-dasharray="3,2""## } else { outline };
        (
            "#fbe3e3",
            outline,
            format!("invocation {invocation}: held back, will come back{margin}{receives}\nwhy: {why}"),
        )
    } else {
        (
            "#d43c3c",
            outline,
            format!("invocation {invocation}: failed, will come back{margin}{receives}\nwhy: {why}"),
        )
    }
}

/// A lane's replayed attempts, the lane's top at `y`: a bar across the
/// lane, drawn last so the end marker of the message the replay deleted
/// does not hide it.
pub(super) fn lane_replays(
    svg: &mut String,
    lane: &Lane,
    x: &impl Fn(Millis) -> f64,
    y: f64,
    max_receive_count: Option<u32>,
) {
    for attempt in lane.attempts.iter().filter(|attempt| attempt.replayed) {
        let (fill, _, tip) = attempt_look(attempt, max_receive_count);
        let width = (x(attempt.to) - x(attempt.from)).max(4.0);
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{width:.1}" height="{:.1}" fill="{fill}"><title>{}</title></rect>"#,
            x(attempt.from) - 2.0,
            y + 1.0,
            LANE - 2.0,
            escape(&tip)
        );
    }
}
