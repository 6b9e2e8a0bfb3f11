//! A page a person can read: one lane per message, with its attempts,
//! failures, waits behind its FIFO group, and where it ended.
//!
//! The page is one self-contained HTML file (inline SVG, no scripts);
//! hover a shape for details: a failed attempt says why, as far as the
//! trace knows (a timeout, a function error and its type, a crash, a
//! throttle, or the message listed in `batchItemFailures`).

use std::fmt::Write as _;
use std::io::{self, Write};

use lambda_batch::SourceKind;

mod attempts;
mod lanes;

use self::attempts::{REPLAYED, REPLAYED_WORDS, lane_attempts, lane_replays};
use self::lanes::{blocked_waits, lanes};
use crate::sim::core::clock::Millis;
use crate::sim::sqs::report::{SqsMessageEnd, SqsMessageFate, SqsReport};

/// At most this many lanes are drawn (the rest are counted in the header).
pub const MAX_LANES: usize = 400;

/// The narrowest label column; it widens to fit the longest message id.
const LEFT: f64 = 150.0;
const WIDTH: f64 = 1100.0;
/// Width of one character of the 11px monospace labels (a little more than
/// the usual 0.6em, so a label is never clipped).
const CHAR: f64 = 7.0;
const LANE: f64 = 20.0;
const TOP: f64 = 40.0;

/// Writes the timeline page of an SQS run (the run needs its trace on).
///
/// # Errors
/// When `out` fails.
pub fn write_html(report: &SqsReport, title: &str, mut out: impl Write) -> io::Result<()> {
    out.write_all(html(report, title).as_bytes())
}

/// The timeline page of an SQS run as a string.
pub fn html(report: &SqsReport, title: &str) -> String {
    let lanes = lanes(report);
    let end = report.ended_at.max(1) as f64;
    let shown = report.messages.len().min(MAX_LANES);
    // The label column fits the longest "<id> [<group>]" in full: the ids
    // are shown as they are, never cut.
    let left = report
        .messages
        .iter()
        .take(shown)
        .map(|m| label_width(&lane_label(&m.id, m.group.as_deref())) + 12.0)
        .fold(LEFT, f64::max);
    let x = |t: Millis| left + (t as f64 / end) * WIDTH;
    // Room on the right for the end labels ("DLQ after 4 receives") of
    // messages that end near the end of the run.
    let right = report
        .messages
        .iter()
        .take(shown)
        .filter_map(|m| {
            end_label(m.end, m.receive_count).map(|(t, _, label)| x(t) + 6.0 + label_width(&label))
        })
        .fold(left + WIDTH + 20.0, f64::max)
        + 10.0;
    let height = TOP + LANE * shown as f64 + 30.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{right:.0}" height="{height}" font-family="monospace" font-size="11">"#,
    );
    axis(&mut svg, left, end, shown);
    let blocked = blocked_waits(report);
    for (lane_index, message) in report.messages.iter().take(shown).enumerate() {
        let y = TOP + LANE * lane_index as f64;
        let mid = y + LANE / 2.0;
        lane_title(&mut svg, message, mid);
        let lane = lanes.get(&message.id);
        let first = lane.and_then(|l| l.first_received).unwrap_or(report.ended_at);
        // Waiting to be received: grey, or amber when its FIFO group is
        // held by an earlier message.
        let (colour, what) = match blocked.get(&message.id) {
            Some(behind) => ("#f0a030", format!("blocked: group held by {behind}")),
            None => ("#bbbbbb", "waiting in the queue".to_owned()),
        };
        line(&mut svg, x(message.sent_at), x(first), mid, colour, 3.0, &what);
        if let Some(lane) = lane {
            lane_attempts(&mut svg, lane, &x, y, report.max_receive_count);
        }
        let last_failure = lane.and_then(|l| l.attempts.iter().rev().find(|a| !a.ok)).map(|a| a.why.as_str());
        end_marker(&mut svg, message.end, &x, mid, message.receive_count, last_failure);
        if let Some(lane) = lane {
            // On top of the end marker, which a replay that deleted the
            // message would otherwise hide.
            lane_replays(&mut svg, lane, &x, y, report.max_receive_count);
        }
    }
    svg.push_str("</svg>");
    page(report, title, &svg, shown)
}

/// The lane's label, with the message and its body as the tooltip.
fn lane_title(svg: &mut String, message: &SqsMessageFate, mid: f64) {
    let label = lane_label(&message.id, message.group.as_deref());
    let tip = match &message.group {
        Some(group) => format!("message {} (group {group})\nbody: {}", message.id, preview(&message.body)),
        None => format!("message {}\nbody: {}", message.id, preview(&message.body)),
    };
    let _ = write!(
        svg,
        r#"<text x="4" y="{}"><title>{}</title>{}</text>"#,
        mid + 4.0,
        escape(&tip),
        escape(&label)
    );
}

/// The lane's label: the message id as it is, and its FIFO group.
fn lane_label(id: &str, group: Option<&str>) -> String {
    match group {
        Some(group) => format!("{id} [{group}]"),
        None => id.to_owned(),
    }
}

/// How wide `label` is drawn (monospace, so by characters).
fn label_width(label: &str) -> f64 {
    label.chars().count() as f64 * CHAR
}

/// The body in a tooltip: at most 200 characters.
fn preview(body: &str) -> String {
    let mut chars = body.chars();
    let head: String = chars.by_ref().take(200).collect();
    if chars.next().is_some() { format!("{head}…") } else { head }
}

fn axis(svg: &mut String, left: f64, end: f64, lanes: usize) {
    let bottom = TOP + LANE * lanes as f64;
    for step in 0..=10 {
        let t = end * f64::from(step) / 10.0;
        let x = left + WIDTH * f64::from(step) / 10.0;
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{bottom}" stroke="#eeeeee"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
            TOP - 8.0,
            TOP - 12.0,
            human(t as Millis)
        );
    }
}

fn line(svg: &mut String, from: f64, to: f64, y: f64, colour: &str, width: f64, tip: &str) {
    if to <= from {
        return;
    }
    let _ = write!(
        svg,
        r#"<line x1="{from:.1}" y1="{y:.1}" x2="{to:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="{width}"><title>{}</title></line>"#,
        escape(tip)
    );
}

/// Where and how a message ended, with the label drawn next to its end;
/// `None` while it is still in the queue.
fn end_label(end: SqsMessageEnd, receives: u32) -> Option<(Millis, &'static str, String)> {
    Some(match end {
        SqsMessageEnd::Deleted(t) => (t, "#3a9d4a", "deleted".to_owned()),
        SqsMessageEnd::MovedToDlq(t) => (t, "#7b3fb5", format!("DLQ after {receives} receives")),
        SqsMessageEnd::Expired(t) => (t, "#555555", "expired".to_owned()),
        SqsMessageEnd::Deduplicated(t) => (t, "#999999", "deduplicated".to_owned()),
        SqsMessageEnd::InQueue => return None,
    })
}

fn end_marker(
    svg: &mut String,
    end: SqsMessageEnd,
    x: &impl Fn(Millis) -> f64,
    y: f64,
    receives: u32,
    last_failure: Option<&str>,
) {
    let Some((t, colour, label)) = end_label(end, receives) else { return };
    let cx = x(t);
    let mut tip = format!("{label} at {}", human(t));
    if let (SqsMessageEnd::MovedToDlq(_) | SqsMessageEnd::Expired(_), Some(why)) = (end, last_failure) {
        let _ = write!(tip, "\nlast failure: {why}");
    }
    let _ = write!(
        svg,
        r#"<circle cx="{cx:.1}" cy="{y:.1}" r="4" fill="{colour}"><title>{}</title></circle>"#,
        escape(&tip)
    );
    if !matches!(end, SqsMessageEnd::Deleted(_)) {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" fill="{colour}">{}</text>"#,
            cx + 6.0,
            y + 4.0,
            escape(&label)
        );
    }
}

fn page(report: &SqsReport, title: &str, svg: &str, shown: usize) -> String {
    let metrics = &report.metrics;
    let hidden = report.messages.len() - shown;
    let more = if hidden > 0 { format!(" ({hidden} more not drawn)") } else { String::new() };
    let replays: u32 = report.messages.iter().map(|message| message.replayed).sum();
    let replays = if replays > 0 { format!(", {replays} deliveries replayed") } else { String::new() };
    format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:20px}} td{{padding:2px 10px}} .k{{display:inline-block;width:24px;height:10px;margin:0 4px 0 14px}}</style>
</head><body>
<h2>{title}</h2>
<p>{queue} queue, {messages} messages{more}, {invocations} invocations{replays}, {time} of virtual time. Hover a shape for details.</p>
<p><span class="k" style="background:#bbbbbb"></span>waiting
<span class="k" style="background:#f0a030"></span>blocked behind an earlier message of its FIFO group
<span class="k" style="background:#3a9d4a"></span>attempt, handled
<span class="k" style="background:{REPLAYED}"></span>attempt, {REPLAYED_WORDS}
<span class="k" style="background:#d43c3c"></span>attempt, failed
<span class="k" style="background:#fbe3e3;outline:1px dashed #d43c3c"></span>attempt, held back behind a failed message of its FIFO group (not handled)
<span class="k" style="background:#d43c3c;outline:2px solid #7b3fb5"></span>failed on its last receive before the DLQ
<span class="k" style="background:#f4b6b6"></span>invisible (visibility timeout)
<span class="k" style="background:#7b3fb5"></span>moved to the DLQ
<span class="k" style="background:#888888;width:2px"></span>the attempt's function timeout (the gap before it: time to spare)</p>
{svg}
<h3>Metrics</h3>
<table>
<tr><td>NumberOfMessagesDeleted</td><td>{deleted}</td><td>Invocations</td><td>{invocations_metric}</td></tr>
<tr><td>ApproximateAgeOfOldestMessage (max)</td><td>{age}</td><td>Errors</td><td>{errors}</td></tr>
<tr><td>ApproximateNumberOfMessagesVisible (DLQ)</td><td>{dlq}</td><td>Throttles</td><td>{throttles}</td></tr>
</table>
</body></html>
"#,
        title = escape(title),
        queue = SourceKind::sqs_queue(report.fifo).name(),
        messages = report.messages.len(),
        invocations = report.invocations,
        time = human(report.ended_at),
        deleted = metrics.messages_deleted,
        invocations_metric = metrics.invocations,
        age = human(metrics.age_of_oldest_message_max_ms),
        errors = metrics.errors,
        dlq = metrics.dlq_messages_visible,
        throttles = metrics.throttles,
    )
}

/// `1m 30s`, `450ms`, `2h 5m`.
fn human(ms: Millis) -> String {
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        60_000..3_600_000 => format!("{}m {}s", ms / 60_000, ms % 60_000 / 1000),
        _ => format!("{}h {}m", ms / 3_600_000, ms % 3_600_000 / 60_000),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::sim::{Invocation, InvocationResult, QueueConfig, SqsSimConfig, SqsSimulation};

    /// A message that always fails ends in the DLQ last: its label is drawn
    /// at the right edge of the plot and must still fit the page; the
    /// failed attempts say why.
    #[test]
    fn the_dlq_label_fits_and_failures_say_why() {
        let mut config = SqsSimConfig::new(QueueConfig::standard().with_dlq(2));
        config.trace = true;
        let mut sim = SqsSimulation::new(config).unwrap();
        sim.send(0, "poison");
        let mut function = |_: &Invocation<'_>| InvocationResult::error("Runtime.ExitError", "boom");
        let html = super::html(&sim.run(&mut function), "t");
        let width: f64 = html
            .split("<svg")
            .nth(1)
            .and_then(|s| s.split("width=\"").nth(1))
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let label = html.split("DLQ after 2 receives</text>").next().unwrap();
        let x: f64 = label.rsplit("<text x=\"").next().unwrap().split('"').next().unwrap().parse().unwrap();
        assert!(
            x + super::label_width("DLQ after 2 receives") <= width,
            "label at {x} clipped by width {width}"
        );
        assert!(html.contains("why: the function crashed (Runtime.ExitError)"), "{html}");
        assert!(html.contains("last failure: the function crashed"), "{html}");
    }
}
