//! Structured capture of `tracing` events, per thread, beside the text
//! capture of [`super::capture_logs`] (the same process-wide subscriber
//! carries both): each event with its level and fields, and each event as
//! the JSON line tracing-subscriber's `json` formatter writes.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// One event: its level and its fields as text (the message under
/// `message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub level: tracing::Level,
    pub fields: BTreeMap<String, String>,
}

impl Event {
    /// The field `name`, if the event has it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// The events and JSON lines one thread emitted while its guard lives.
#[derive(Clone, Default)]
pub struct CapturedEvents {
    events: Arc<Mutex<Vec<Event>>>,
    json: Arc<Mutex<Vec<u8>>>,
}

impl CapturedEvents {
    /// The events so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// The JSON lines so far.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        let text = String::from_utf8(self.json.lock().unwrap().clone()).unwrap();
        text.lines().map(|line| serde_json::from_str(line).expect("each line is one JSON object")).collect()
    }
}

thread_local! {
    static EVENTS: RefCell<Option<CapturedEvents>> = const { RefCell::new(None) };
}

/// Stops capturing on this thread when dropped.
pub struct EventsGuard {
    previous: Option<CapturedEvents>,
    _this_thread: PhantomData<*const ()>,
}

impl Drop for EventsGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        EVENTS.with_borrow_mut(|capture| *capture = previous);
    }
}

/// Captures this thread's events (DEBUG and above) until the guard drops.
pub fn capture_events() -> (CapturedEvents, EventsGuard) {
    super::install_subscriber();
    let captured = CapturedEvents::default();
    let previous = EVENTS.with_borrow_mut(|capture| capture.replace(captured.clone()));
    (captured, EventsGuard { previous, _this_thread: PhantomData })
}

fn capturing() -> bool {
    EVENTS.with_borrow(Option::is_some)
}

/// The layers [`super::install_subscriber`] adds: the structured record
/// and the JSON formatter, both for capturing threads only.
pub fn layers<S>() -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    let only_capturing = || {
        dynamic_filter_fn(|metadata, _| *metadata.level() <= tracing::Level::DEBUG && capturing())
            .with_max_level_hint(tracing::Level::DEBUG)
    };
    let json = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_writer(|| ThisThreadsJson)
        .with_filter(only_capturing());
    Recorder.with_filter(only_capturing()).and_then(json)
}

/// Appends every event to this thread's capture.
struct Recorder;

impl<S: tracing::Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &tracing::Event<'_>, _cx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let event = Event { level: *event.metadata().level(), fields: fields.0 };
        EVENTS.with_borrow(|capture| {
            if let Some(capture) = capture {
                capture.events.lock().unwrap().push(event);
            }
        });
    }
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// Appends to this thread's JSON capture.
struct ThisThreadsJson;

impl std::io::Write for ThisThreadsJson {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        EVENTS.with_borrow(|capture| {
            if let Some(capture) = capture {
                capture.json.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
