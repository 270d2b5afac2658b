#!/usr/bin/env python3
"""Writes a large mixed CI test log for bench/warnings.sh.

Most lines are the noise of a real test run (progress lines, passing tests,
stack traces, compiler chatter); about one line in a hundred is a warning,
in every format warnings-collector reads. Deterministic for a seed.

    bench/gen_log.py --mb 1024 --seed 1 > big.log
"""
import argparse
import random
import sys

NOISE = [
    "tests/test_orders.py::test_create_{n} PASSED                          [ {p}%]",
    "[INFO] Tests run: {n}, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.{n} s - in com.shop.OrderTest",
    "    at com.shop.orders.OrderService.create(OrderService.java:{n})",
    "   Compiling shop-core v0.{n}.0 (/home/runner/work/shop/shop/crates/core)",
    "ok  \tgithub.com/shop/api/orders\t0.{n}s",
    "  ✓ renders the cart with {n} items ({n}ms)",
    "Finished in 0.{n} seconds (files took 1.2 seconds to load)",
    "{n} examples, 0 failures",
    "> Task :app:compileKotlin UP-TO-DATE",
    "npm WARN deprecated-ish line that is not a node warning {n}",
    "DEBUG [pool-{n}] connection acquired in {n}ms",
]

WARNINGS = [
    "/home/runner/work/shop/shop/app/models/order_{n}.rb:{l}: warning: Using the last argument as keyword parameters is deprecated; maybe ** should be added to the call",
    "/home/runner/work/shop/shop/app/models/base.rb:{l}: warning: The called method `initialize' is defined here",
    "DEPRECATION WARNING: update_attributes is deprecated and will be removed from Rails 6.1 (called from block in <class:Order{n}> at /home/runner/work/shop/shop/app/models/order.rb:{l})",
    "/home/runner/work/shop/shop/src/shop/util_{n}.py:{l}: DeprecationWarning: datetime.utcnow() is deprecated",
    "(node:{pid}) [DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability issues.",
    "src/main/java/com/shop/Order{n}.java:{l}: warning: [deprecation] Integer(int) in Integer has been deprecated and marked for removal",
    "[WARNING] /home/runner/work/shop/shop/src/main/java/com/shop/Cart{n}.java:[{l},9] Integer(int) in java.lang.Integer has been deprecated and marked for removal",
    "w: file:///home/runner/work/shop/shop/app/src/main/kotlin/Shop{n}.kt:{l}:5 'getter for x: Int' is deprecated. Use y",
    "api/orders/handler_{n}.go:{l}:2: SA1019: ioutil.ReadAll has been deprecated since Go 1.19 (staticcheck)",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mb", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warning-every", type=int, default=100)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    target = a.mb * 1024 * 1024
    out = sys.stdout
    written = 0
    batch = []
    while written < target:
        if rng.randrange(a.warning_every) == 0:
            t = rng.choice(WARNINGS)
        else:
            t = rng.choice(NOISE)
        line = t.format(n=rng.randrange(200), l=rng.randrange(1, 400), p=rng.randrange(100), pid=rng.randrange(1000, 99999)) + "\n"
        batch.append(line)
        written += len(line)
        if len(batch) >= 10000:
            out.write("".join(batch))
            batch.clear()
    out.write("".join(batch))


if __name__ == "__main__":
    main()
