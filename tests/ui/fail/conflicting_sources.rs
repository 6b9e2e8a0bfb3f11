use lambda_batch::batch_handler;
use lambda_batch::dynamodb::NewImage;
use lambda_batch::kinesis::KinesisRecord;
use lambda_batch::sqs::SqsMessage;

// A Kinesis extractor on an SQS handler.
#[batch_handler(sqs)]
async fn kinesis_on_sqs(record: &KinesisRecord<'_>) {}

// Two record types of different sources.
#[batch_handler]
async fn two_record_types(message: &SqsMessage, image: NewImage<String>) {}

// Two sources named.
#[batch_handler(kinesis, dynamodb)]
async fn two_sources(_data: &[u8]) {}

fn main() {}
