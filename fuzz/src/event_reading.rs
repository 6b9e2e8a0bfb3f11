//! The `event_reading` target's checks.

use lambda_batch::dynamodb::DynamoDb;
use lambda_batch::validate::BatchView;
use lambda_batch::{BatchError, BatchEvent, OrderingRule, Source, SourceKind};
use serde::de::IgnoredAny;

use crate::event::{self, OrderingKey, Shape};
use crate::json::{self, J};
use crate::stats;

/// Reads `data` as an event and checks every kind's identities.
pub fn check(data: &[u8]) {
    let doc = json::read(data);
    let event = match BatchEvent::from_slice(data) {
        Ok(event) => event,
        Err(error) => {
            if let Ok(doc) = &doc {
                assert!(
                    doc.lone,
                    "serde_json reads this JSON but BatchEvent::from_slice rejects it: {error}"
                );
            }
            stats::count("event: not read (not JSON)");
            return;
        }
    };
    assert!(
        serde_json::from_slice::<IgnoredAny>(data).is_ok(),
        "BatchEvent::from_slice accepted bytes that are not JSON"
    );
    let Ok(doc) = doc else {
        // No opinion; the readers still must not panic.
        for kind in SourceKind::ALL {
            let _ = kind.identify_event(&event);
            let _ = BatchView::read(kind, &event);
        }
        stats::count("event: unjudged");
        return;
    };
    let records = match event::shape(&doc, &doc.root) {
        Shape::Invalid(why) => {
            assert!(event.records().is_err(), "the oracle finds no batch ({why}) but BatchEvent has records");
            for kind in SourceKind::ALL {
                match kind.identify_event(&event) {
                    Err(BatchError::InvalidEvent(_)) => {}
                    other => {
                        panic!("{kind}: the event is not a batch ({why}), identify_event gave {other:?}")
                    }
                }
                assert_eq!(
                    BatchView::read(kind, &event).ids().count(),
                    0,
                    "{kind}: a view of no batch is empty"
                );
            }
            stats::count("event: invalid, agreed");
            return;
        }
        Shape::Records(records) => records,
    };
    let raw = match event.records() {
        Ok(raw) => raw,
        Err(error) => panic!("the oracle finds {} records but BatchEvent says {error}", records.len()),
    };
    assert_eq!(raw.len(), records.len(), "number of records");
    for (index, (raw, record)) in raw.iter().zip(&records).enumerate() {
        // The raw text the engine keeps for a record reads back to the
        // oracle's record (same members, same order, same values).
        match json::read(raw.get().as_bytes()) {
            Ok(back) => {
                assert!(back.root == **record, "record {index}: raw text {} is not the record", raw.get())
            }
            Err(why) => panic!("record {index}: its raw text does not read back ({why:?}): {}", raw.get()),
        }
    }
    for kind in SourceKind::ALL {
        check_kind(kind, &doc, &records, &event);
    }
    stats::count("event: records judged");
}

fn check_kind(kind: SourceKind, doc: &json::Doc, records: &[&J], event: &BatchEvent) {
    let expected: Vec<Option<String>> = records.iter().map(|r| event::identifier(kind, doc, r)).collect();
    let result = kind.identify_event(event);
    let view: Vec<String> = BatchView::read(kind, event).ids().map(str::to_owned).collect();
    let nameable: Vec<String> = expected.iter().flatten().cloned().collect();
    assert_eq!(view, nameable, "{kind}: BatchView::read leaves out exactly the records that cannot be named");
    match expected.iter().position(Option::is_none) {
        Some(first) => match result {
            Err(BatchError::MissingItemIdentifier { index, .. }) if index == first => {}
            other => panic!(
                "{kind}: record {first} cannot be named ({}), identify_event gave {other:?}",
                crate::show(records[first])
            ),
        },
        None => {
            let identities = match result {
                Ok(identities) => identities,
                Err(error) => {
                    panic!("{kind}: every record has an identifier, identify_event failed: {error}")
                }
            };
            assert_eq!(identities.len(), records.len());
            for (index, ((identity, expected), record)) in
                identities.iter().zip(&expected).zip(records).enumerate()
            {
                assert_eq!(
                    Some(&identity.item_identifier),
                    expected.as_ref(),
                    "{kind}: identifier of record {index} {}",
                    crate::show(record)
                );
                check_ordering_key(kind, doc, record, identity.ordering_key.as_deref(), index);
            }
        }
    }
}

fn check_ordering_key(kind: SourceKind, doc: &json::Doc, record: &J, found: Option<&str>, index: usize) {
    match event::ordering_key(kind, doc, record) {
        OrderingKey::Known(expected) => {
            let expected = match kind.ordering() {
                OrderingRule::MessageGroup => crate::known::message_group(doc, record).map(str::to_owned),
                _ => expected,
            };
            assert_eq!(
                found,
                expected.as_deref(),
                "{kind}: ordering key of record {index} {}",
                crate::show(record)
            );
        }
        OrderingKey::Unknown if kind == DynamoDb::KIND => match (event::dynamodb_keys(record), found) {
            (None, None) => {}
            (Some(keys), Some(text)) => match json::read(text.as_bytes()) {
                Ok(back) => assert!(back.root == *keys, "DynamoDB: ordering key of record {index} is {text}"),
                Err(why) => {
                    panic!("DynamoDB: ordering key of record {index} does not read ({why:?}): {text}")
                }
            },
            (keys, found) => {
                panic!("DynamoDB: record {index} has Keys {keys:?} but the ordering key is {found:?}")
            }
        },
        OrderingKey::Unknown => {}
    }
}
