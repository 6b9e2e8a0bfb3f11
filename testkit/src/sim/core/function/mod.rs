//! The simulated function: what an invocation gives it, what it returns,
//! the events rendered as Lambda sends them, and the adapter that runs a
//! real handler.

pub(crate) mod clockwork;
pub(crate) mod invocation;
pub(crate) mod lambda;
pub(crate) mod payload;
pub(crate) mod render;
