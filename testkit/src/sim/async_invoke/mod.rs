//! Asynchronous invocation: Lambda's internal queue, retries, the DLQ and
//! destinations, as a simulation for the run loop.
//!
//! The rules modelled: [Asynchronous invocation: retries and
//! destinations](lambda_batch::aws_rules#asynchronous-invocation-retries-and-destinations).

pub(crate) mod config;
pub(crate) mod destinations;
pub(crate) mod invoker;
pub(crate) mod report;

use std::sync::Arc;

use serde_json::Value;

use crate::sim::async_invoke::config::AsyncConfig;
use crate::sim::async_invoke::invoker::{Invoker, Step};
use crate::sim::async_invoke::report::AsyncReport;
use crate::sim::core::clock::Millis;
use crate::sim::core::error::ConfigError;
use crate::sim::core::function::invocation::Function;
use crate::sim::core::progress::ProgressFn;
use crate::sim::core::run_loop;
use crate::sim::core::world::World;

/// Lambda's asynchronous invocation in virtual time.
///
/// ```
/// use lambda_batch_testkit::sim::{AsyncConfig, AsyncSimulation, InvocationResult, Invocation};
/// let mut sim = AsyncSimulation::new(AsyncConfig::default()).unwrap();
/// sim.invoke(0, serde_json::json!({"order": 1}));
/// let report = sim.run(&mut |_: &Invocation<'_>| InvocationResult::error("Boom", "always"));
/// assert_eq!(report.events[0].invocations, 3); // the first attempt and 2 retries
/// assert_eq!(report.dead_letters.len(), 1);
/// assert_eq!(report.on_failure[0]["requestContext"]["condition"], "RetriesExhausted");
/// ```
pub struct AsyncSimulation {
    invoker: Invoker,
    world: World<Step>,
}

impl AsyncSimulation {
    /// A simulation with this configuration.
    ///
    /// # Errors
    /// A setting AWS would refuse (e.g. `MaximumRetryAttempts` of 3).
    pub fn new(config: AsyncConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(AsyncSimulation {
            world: World::new(config.seed, config.faults, config.timing, config.trace),
            invoker: Invoker::new(config),
        })
    }

    /// Invokes the function asynchronously at virtual time `at` (`Invoke`
    /// returns 202); returns the request id every attempt will carry.
    pub fn invoke(&mut self, at: Millis, event: Value) -> Arc<str> {
        self.invoker.queue(at, event, &mut self.world)
    }

    /// Runs until nothing is left to happen.
    pub fn run(self, function: &mut impl Function) -> AsyncReport {
        self.run_until(function, Millis::MAX, None)
    }

    /// Runs until nothing is left to happen or virtual time `until`.
    pub fn run_until(
        self,
        function: &mut impl Function,
        until: Millis,
        progress: Option<ProgressFn<'_>>,
    ) -> AsyncReport {
        run_loop::run(self.invoker, self.world, function, until, progress)
    }
}
