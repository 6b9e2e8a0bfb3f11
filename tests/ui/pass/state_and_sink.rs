use lambda_batch::{batch_handler, Context, PoisonRecord, RecordMeta, RecordOutcome};

struct App {
    name: String,
}

async fn park(app: &App, poison: &PoisonRecord<'_>, _cx: &Context) -> Result<(), std::io::Error> {
    let _ = (&app.name, poison.id, poison.reason, poison.raw_json);
    Ok(())
}

#[batch_handler(sqs, poison_sink = park, max_receive_count = 5)]
async fn handle(#[state] app: &App, body: &str, meta: RecordMeta<'_>) -> RecordOutcome {
    if body.is_empty() {
        return RecordOutcome::poison(format!("{} got an empty body in {}", app.name, meta.id));
    }
    RecordOutcome::retry_later()
}

async fn sink_without_state(_poison: &PoisonRecord<'_>, _cx: &Context) -> Result<(), String> {
    Ok(())
}

#[batch_handler(kinesis, poison_sink = sink_without_state)]
fn stream(_data: &[u8]) -> RecordOutcome {
    RecordOutcome::Success
}

fn main() {
    let app = App { name: "orders".to_owned() };
    let _ = lambda_runtime::service_fn(|event| handle(&app, event));
    let _ = lambda_runtime::service_fn(stream);
    let _ = handle::with_state(&app);
}
