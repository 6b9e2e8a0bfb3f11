//! Example batch handlers for lambda-batch, deployable as Lambda functions
//! (see `src/bin/`), and the demo the README runs.

pub mod clicks;
pub mod inventory;
pub mod orders;
pub mod telemetry;
