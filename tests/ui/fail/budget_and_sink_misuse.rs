use lambda_batch::batch_handler;

#[batch_handler(kinesis, max_receive_count = 3)]
async fn budget_on_a_stream(_data: &[u8]) {}

#[batch_handler(sqs, max_receive_count = 0)]
async fn zero_budget(_body: &str) {}

#[batch_handler(sqs, poison_sink = "store")]
async fn sink_as_string(_body: &str) {}

// Over-budget messages need a sink, or the explicit choice to drop them.
#[batch_handler(sqs, max_receive_count = 3)]
async fn budget_without_sink(_body: &str) {}

#[batch_handler(sqs, drop_over_budget)]
async fn dropping_without_budget(_body: &str) {}

async fn store(_poison: &lambda_batch::PoisonRecord<'_>, _cx: &lambda_batch::Context) -> Result<(), String> {
    Ok(())
}

#[batch_handler(sqs, max_receive_count = 3, poison_sink = store, drop_over_budget)]
async fn sink_and_drop(_body: &str) {}

fn main() {}
