//! End-to-end scenarios of deferred-compliance (being written).
