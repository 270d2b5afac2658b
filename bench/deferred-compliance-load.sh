#!/usr/bin/env bash
# deferred-compliance serve under load (issue 5, §6): 1,000 signed
# deliveries at 200/s over loopback against a fake GitHub, next to a bare
# axum handler loaded the same way. Not run by .ci/run.
# Usage: bench/deferred-compliance-load.sh [DELIVERIES] [RATE_PER_SECOND]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p deferred-compliance --bin deferred-compliance --example load >&2
exec target/release/examples/load target/release/deferred-compliance "${1:-1000}" "${2:-200}"
