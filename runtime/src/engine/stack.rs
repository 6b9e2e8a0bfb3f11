//! The per-record stack's composition: the one place the order of the
//! layers ([`super::layer`], [`super::poison`]) is decided.

use tokio::time::Instant;

use super::hooks::Hooks;
use super::layer::{Claimed, Handler, Inject, Isolate, Observe, Settle, Span, Timeout};
use super::observe::Observer;
use super::poison::{Budget, Sink};
use crate::idempotency::batch::BatchClaims;
use crate::plan::BatchPlan;

/// The engine's layers, outermost first; see the module doc.
pub(crate) type Stack<'o, O> =
    Observe<'o, O, Span<Hooks<Claimed<'o, Settle<Sink<Budget<Timeout<Isolate<Inject<Handler>>>>>>>>>>;

/// The stack for a batch under `plan`, reporting to `observer`; no hook
/// runs past `cut_off`. The one place the order of the layers is decided.
pub(crate) fn stack<'o, O: Observer>(
    plan: &BatchPlan,
    observer: &'o O,
    claims: Option<&'o BatchClaims>,
    cut_off: Option<Instant>,
) -> Stack<'o, O> {
    let timeout = plan.limits.record_timeout();
    Observe {
        observer,
        inner: Span(Hooks {
            timeout,
            cut_off,
            inner: Claimed {
                claims,
                inner: Settle(Sink {
                    source: plan.source,
                    timeout,
                    inner: Budget {
                        max_receive_count: plan.max_receive_count,
                        drop_over_budget: plan.drop_over_budget,
                        inner: Timeout { limit: timeout, inner: Isolate(Inject(Handler)) },
                    },
                }),
            },
        }),
    }
}
