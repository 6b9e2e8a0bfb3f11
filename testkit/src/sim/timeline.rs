//! A page a person can read: one lane per message, with its attempts,
//! failures, waits behind its FIFO group, and where it ended.
//!
//! The page is one self-contained HTML file (inline SVG, no scripts);
//! hover a shape for details.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::Arc;

use super::clock::Millis;
use super::fates::MessageEnd;
use super::sqs::SqsReport;
use super::trace::TraceEvent;

/// At most this many lanes are drawn (the rest are counted in the header).
pub const MAX_LANES: usize = 400;

const LEFT: f64 = 150.0;
const WIDTH: f64 = 1100.0;
const LANE: f64 = 20.0;
const TOP: f64 = 40.0;

#[derive(Default)]
struct Lane {
    attempts: Vec<(Millis, Millis, bool, u64)>,
    invisible: Vec<(Millis, Millis)>,
    first_received: Option<Millis>,
    last_response: Option<Millis>,
}

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
    let x = |t: Millis| LEFT + (t as f64 / end) * WIDTH;
    let shown = report.messages.len().min(MAX_LANES);
    let height = TOP + LANE * shown as f64 + 30.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" font-family="monospace" font-size="11">"#,
        LEFT + WIDTH + 20.0
    );
    axis(&mut svg, end, shown);
    let blocked = blocked_waits(report);
    for (lane_index, message) in report.messages.iter().take(shown).enumerate() {
        let y = TOP + LANE * lane_index as f64;
        let mid = y + LANE / 2.0;
        let group = message.group.as_deref().map(|g| format!(" [{g}]")).unwrap_or_default();
        let _ =
            write!(svg, r#"<text x="4" y="{}">{}{}</text>"#, mid + 4.0, escape(&message.id), escape(&group));
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
            for &(from, to) in &lane.invisible {
                let tip = format!("invisible until the visibility timeout ends ({} ms)", to - from);
                line(&mut svg, x(from), x(to), mid, "#f4b6b6", 3.0, &tip);
            }
            for &(from, to, ok, invocation) in &lane.attempts {
                let (fill, tip) = if ok {
                    ("#3a9d4a", format!("invocation {invocation}: handled, deleted"))
                } else {
                    ("#d43c3c", format!("invocation {invocation}: failed, will come back"))
                };
                let width = (x(to) - x(from)).max(3.0);
                let _ = write!(
                    svg,
                    r#"<rect x="{:.1}" y="{:.1}" width="{width:.1}" height="{:.1}" fill="{fill}"><title>{}</title></rect>"#,
                    x(from),
                    y + 4.0,
                    LANE - 8.0,
                    escape(&tip)
                );
            }
        }
        end_marker(&mut svg, message.end, &x, mid, message.receive_count);
    }
    svg.push_str("</svg>");
    page(report, title, &svg, shown)
}

fn lanes(report: &SqsReport) -> HashMap<Arc<str>, Lane> {
    let mut lanes: HashMap<Arc<str>, Lane> = HashMap::new();
    // By invocation number, so the page is the same for the same run.
    let mut received: BTreeMap<u64, Vec<(Arc<str>, Millis)>> = BTreeMap::new();
    let mut ended: HashMap<u64, Millis> = HashMap::new();
    let mut deleted: HashMap<(Arc<str>, u64), Millis> = HashMap::new();
    for entry in report.trace.entries() {
        match &entry.event {
            TraceEvent::Received { id, invocation, .. } => {
                received.entry(*invocation).or_default().push((Arc::clone(id), entry.t));
                lanes.entry(Arc::clone(id)).or_default().first_received.get_or_insert(entry.t);
            }
            TraceEvent::Response { invocation, .. } => {
                ended.insert(*invocation, entry.t);
                for (id, _) in received.get(invocation).into_iter().flatten() {
                    lanes.entry(Arc::clone(id)).or_default().last_response = Some(entry.t);
                }
            }
            TraceEvent::Deleted { id, invocation } => {
                deleted.insert((Arc::clone(id), *invocation), entry.t);
            }
            TraceEvent::VisibleAgain { id, .. } => {
                let lane = lanes.entry(Arc::clone(id)).or_default();
                if let Some(from) = lane.last_response.take() {
                    lane.invisible.push((from, entry.t));
                }
            }
            _ => {}
        }
    }
    for (invocation, messages) in received {
        // A throttled batch given up has no response: its attempt ends
        // where the messages come back.
        let to = ended.get(&invocation).copied();
        for (id, from) in messages {
            let ok = deleted.contains_key(&(Arc::clone(&id), invocation));
            let lane = lanes.entry(id).or_default();
            lane.attempts.push((from, to.unwrap_or(from), ok, invocation));
        }
    }
    lanes
}

/// FIFO messages that waited while an earlier message of their group was
/// unfinished: id -> the earlier message holding the group.
fn blocked_waits(report: &SqsReport) -> HashMap<Arc<str>, Arc<str>> {
    let mut blocked = HashMap::new();
    if !report.fifo {
        return blocked;
    }
    let mut open: HashMap<&str, Vec<(&Arc<str>, Millis)>> = HashMap::new();
    for message in &report.messages {
        let Some(group) = message.group.as_deref() else { continue };
        let earlier = open.entry(group).or_default();
        let end = match message.end {
            MessageEnd::Deleted(t)
            | MessageEnd::MovedToDlq(t)
            | MessageEnd::Expired(t)
            | MessageEnd::Deduplicated(t) => t,
            MessageEnd::InQueue => Millis::MAX,
        };
        if let Some((holder, _)) = earlier.iter().find(|(_, ended)| *ended > message.sent_at)
            && message.receive_count > 0
        {
            blocked.insert(Arc::clone(&message.id), Arc::clone(holder));
        }
        earlier.push((&message.id, end));
    }
    blocked
}

fn axis(svg: &mut String, end: f64, lanes: usize) {
    let bottom = TOP + LANE * lanes as f64;
    for step in 0..=10 {
        let t = end * f64::from(step) / 10.0;
        let x = LEFT + WIDTH * f64::from(step) / 10.0;
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

fn end_marker(svg: &mut String, end: MessageEnd, x: &impl Fn(Millis) -> f64, y: f64, receives: u32) {
    let (t, colour, label) = match end {
        MessageEnd::Deleted(t) => (t, "#3a9d4a", "deleted".to_owned()),
        MessageEnd::MovedToDlq(t) => (t, "#7b3fb5", format!("DLQ after {receives} receives")),
        MessageEnd::Expired(t) => (t, "#555555", "expired".to_owned()),
        MessageEnd::Deduplicated(t) => (t, "#999999", "deduplicated".to_owned()),
        MessageEnd::InQueue => return,
    };
    let cx = x(t);
    let _ = write!(
        svg,
        r#"<circle cx="{cx:.1}" cy="{y:.1}" r="4" fill="{colour}"><title>{}</title></circle>"#,
        escape(&format!("{label} at {}", human(t)))
    );
    if !matches!(end, MessageEnd::Deleted(_)) {
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
    format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:20px}} td{{padding:2px 10px}} .k{{display:inline-block;width:24px;height:10px;margin:0 4px 0 14px}}</style>
</head><body>
<h2>{title}</h2>
<p>{queue} queue, {messages} messages{more}, {invocations} invocations, {time} of virtual time. Hover a shape for details.</p>
<p><span class="k" style="background:#bbbbbb"></span>waiting
<span class="k" style="background:#f0a030"></span>blocked behind an earlier message of its FIFO group
<span class="k" style="background:#3a9d4a"></span>attempt, handled
<span class="k" style="background:#d43c3c"></span>attempt, failed
<span class="k" style="background:#f4b6b6"></span>invisible (visibility timeout)
<span class="k" style="background:#7b3fb5"></span>moved to the DLQ</p>
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
        queue = if report.fifo { "FIFO" } else { "Standard" },
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
