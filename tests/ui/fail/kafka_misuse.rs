use lambda_batch::batch_handler;
use lambda_batch::kafka::KafkaRecord;
use lambda_batch::sqs::SqsMessage;

// Kafka records have no receive count, and FIFO policies are for SQS.
#[batch_handler(kafka, max_receive_count = 3, fifo_policy = "skip_failed_group")]
async fn budget_on_kafka(body: &str) {}

// One handler serves one event source.
#[batch_handler(kafka)]
async fn mixed(record: &KafkaRecord<'_>, message: &SqsMessage) {}

// A close miss of the keyword.
#[batch_handler(msk)]
async fn misspelled(body: &str) {}

fn main() {}
