use lambda_batch::batch_handler;

// Every problem of one item is reported in the same build.
#[batch_handler(sqs, sqs_fifo, colour = "blue")]
const unsafe fn all_wrong<T>(_body: &str) {}

fn main() {}
