//! The per-record stack's composition: the one place the order of the
//! layers ([`super::layer`], [`super::poison`]) is decided.

use super::layer::{Claimed, Handler, Inject, Isolate, Observe, Settle, Span, Timeout};
use super::observe::Observer;
use super::poison::{Budget, Sink};
use crate::idempotency::batch::BatchClaims;
use crate::plan::BatchPlan;

/// The engine's layers, outermost first; see the module doc.
pub(crate) type Stack<'o, O> =
    Observe<'o, O, Span<Claimed<'o, Settle<Sink<Budget<Timeout<Isolate<Inject<Handler>>>>>>>>>;

/// The stack for a batch under `plan`, reporting to `observer`. The one
/// place the order of the layers is decided.
pub(crate) fn stack<'o, O: Observer>(
    plan: &BatchPlan,
    observer: &'o O,
    claims: Option<&'o BatchClaims>,
) -> Stack<'o, O> {
    Observe {
        observer,
        inner: Span(Claimed {
            claims,
            inner: Settle(Sink {
                source: plan.source,
                timeout: plan.limits.record_timeout(),
                inner: Budget {
                    max_receive_count: plan.max_receive_count,
                    drop_over_budget: plan.drop_over_budget,
                    inner: Timeout { limit: plan.limits.record_timeout(), inner: Isolate(Inject(Handler)) },
                },
            }),
        }),
    }
}
