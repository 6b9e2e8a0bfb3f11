//! Integration tests for lambda-batch (see `tests/`).
