use lambda_batch::sqs::SqsMessage;
use lambda_batch::batch_handler;

// The source is inferred from `&SqsMessage`.
#[batch_handler]
async fn inferred(_message: &SqsMessage) {}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", all_failed = "report_all")]
async fn fifo(_body: &str) {}

#[batch_handler(sqs, fifo_policy = "stop_at_first_failure", all_failed = "error")]
pub(crate) async fn defaults_spelled_out(_body: &str) {}

mod renamed {
    extern crate lambda_batch as lb;

    #[lb::batch_handler(sqs, crate = "lb")]
    pub async fn handle(_body: &str) {}
}

fn main() {
    let _ = lambda_runtime::service_fn(inferred);
    let _ = lambda_runtime::service_fn(fifo);
    let _ = lambda_runtime::service_fn(defaults_spelled_out);
    let _ = lambda_runtime::service_fn(renamed::handle);
    let _ = fifo::CONFIG;
}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", concurrency = 8, deadline_margin_ms = 0)]
async fn fifo_groups_in_parallel(_body: &str) {}

#[batch_handler(kinesis, concurrency = 32, record_timeout_ms = 2500, deadline_margin_ms = 1000)]
async fn stream_in_parallel(_data: &[u8]) {}

#[allow(dead_code)]
fn more() {
    let _ = lambda_runtime::service_fn(fifo_groups_in_parallel);
    let _ = lambda_runtime::service_fn(stream_in_parallel);
}
