#!/usr/bin/env bash
# deferred-compliance serve under load (issue 5, §6) and under abuse
# (issue 11, §6). Not run by .ci/run.
#
# 1. Load: 1,000 signed deliveries at 200/s over loopback against a fake
#    GitHub, next to a bare axum handler loaded the same way (the `load`
#    example prints p50/p99/max). The server's peak RSS (VmHWM) is read
#    from /proc while it runs: the baseline.
# 2. Abuse: a fresh server, 50 slow clients (25 trickling a request's head,
#    25 trickling a body) and 10 concurrent 20 MB bodies with a well-formed
#    but forged signature (so they must be read to be refused); /healthz
#    is timed every 100 ms meanwhile; then SIGTERM with the slow clients
#    still connected. Printed: the answers, the server's peak RSS beside
#    the baseline's, and how long it took to exit. With PEER=BINARY, the
#    same abuse is also run against that build of deferred-compliance
#    (say, one from before issue 11), side by side.
#
# Usage: [PEER=BINARY] bench/deferred-compliance-load.sh [DELIVERIES] [RATE_PER_SECOND]
# Needs cargo, python3 and Linux (/proc).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p deferred-compliance --bin deferred-compliance --example load >&2
bin="$PWD/target/release/deferred-compliance"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The load example starts the server itself: a wrapper that records the
# server's pid, then becomes it.
cat >"$work/serve" <<EOF
#!/bin/sh
echo \$\$ > "$work/pid"
exec "$bin" "\$@"
EOF
chmod +x "$work/serve"

# Records VmHWM (KiB) of $1 into $2 until the process is gone; VmHWM only
# grows, so the last value read is the peak.
watch_hwm() {
  local v
  while v=$(awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null) && [ -n "$v" ]; do
    echo "$v" >"$2"
    sleep 0.02
  done
}

echo "## 1. load"
echo
target/release/examples/load "$work/serve" "${1:-1000}" "${2:-200}" &
load=$!
for _ in $(seq 300); do [ -s "$work/pid" ] && break; sleep 0.1; done
watch_hwm "$(cat "$work/pid")" "$work/hwm-load" &
status=0
wait "$load" || status=$?
wait
baseline=$(cat "$work/hwm-load")
echo
echo "serve peak RSS under load: $((baseline / 1024)) MiB (VmHWM $baseline KiB)"
echo

echo "## 2. abuse"
echo
printf 'repository = "acme/widgets"\n[[job]]\nworkflow = "w.yml"\n' >"$work/deferred-compliance.toml"
python3 - "$work" "$baseline" "$bin" ${PEER:+"$PEER"} <<'PY' || status=$?
import os, shutil, signal, socket, subprocess, sys, threading, time

work, baseline, binaries = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
SECRET = "abuse-benchmark-secret"
SLOW, BIG, BIG_SIZE = 50, 10, 20_000_000


def status_of(data):
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def read_answer(s):
    data = b""
    try:
        while chunk := s.recv(65536):
            data += chunk
    except OSError:
        pass
    return data


def count(xs):
    out = {}
    for x in xs:
        out[x] = out.get(x, 0) + 1
    return ", ".join("%d × %s" % (n, k) for k, n in sorted(out.items(), key=str)) or "none"


def abuse(binary):
    """One fresh server through the whole scenario; what was seen."""
    unused = socket.socket()
    unused.bind(("127.0.0.1", 0))
    env = dict(os.environ, GITHUB_TOKEN="ghp_fakeToken0123456789",
               GITHUB_API_URL="http://127.0.0.1:%d" % unused.getsockname()[1],
               GITHUB_WEBHOOK_SECRET=SECRET, RUST_LOG="error")
    for k in ("GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_INSTALLATION_ID", "SLACK_WEBHOOK_URL"):
        env.pop(k, None)
    for f in ("queue.db", "queue.db-wal", "queue.db-shm"):
        if os.path.exists(os.path.join(work, f)):
            os.remove(os.path.join(work, f))
    server = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--db", "queue.db"],
                              cwd=work, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    addr = None
    for line in server.stderr:
        if "listening on http://" in line:
            host, port = line.split("http://")[1].split("/")[0].rsplit(":", 1)
            addr = (host, int(port))
            break
    threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()

    def hwm():
        with open("/proc/%d/status" % server.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])

    r = {"start": hwm()}

    # Slow clients: a byte every 0.5 s, never done.
    stop_slow, slow_ends = threading.Event(), []

    def slow_client(kind):
        s = socket.create_connection(addr)
        if kind == "head":
            s.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\n")
            trickle = b"X-Slow: y\r\n"
        else:
            s.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: workflow_run\r\n"
                      b"X-GitHub-Delivery: slow\r\nX-Hub-Signature-256: sha256=" + b"0" * 64 +
                      b"\r\nContent-Length: 200000\r\n\r\n{")
            trickle = b" "
        t = time.time()
        try:
            while not stop_slow.is_set():
                s.sendall(trickle[:1])
                trickle = trickle[1:] + trickle[:1]
                stop_slow.wait(0.5)
            slow_ends.append((kind, "still connected"))
        except OSError:
            read_answer(s)
            slow_ends.append((kind, "cut after %.0f s" % (time.time() - t)))
        s.close()

    slow = [threading.Thread(target=slow_client, args=("head" if i % 2 else "body",), daemon=True)
            for i in range(SLOW)]
    for th in slow:
        th.start()
    time.sleep(1)

    # /healthz every 100 ms, timed.
    stop_health, health = threading.Event(), []

    def healthz_loop():
        while not stop_health.is_set():
            t = time.time()
            try:
                s = socket.create_connection(addr)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                ok = status_of(read_answer(s)) == 200
                s.close()
            except OSError:
                ok = False
            health.append((time.time() - t, ok))
            stop_health.wait(0.1)

    hz = threading.Thread(target=healthz_loop, daemon=True)
    hz.start()

    # Large bodies at once, forged signature, sent at full speed.
    body = b'{"action":"completed","pad":"' + b"x" * (BIG_SIZE - 32) + b'"}'
    big = []

    def big_client(i):
        s = socket.create_connection(addr)
        head = ("POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: workflow_run\r\n"
                "X-GitHub-Delivery: big-%d\r\nX-Hub-Signature-256: sha256=%s\r\n"
                "Content-Length: %d\r\nConnection: close\r\n\r\n" % (i, "f" * 64, len(body)))
        try:
            s.sendall(head.encode())
            s.sendall(body)
        except OSError:
            pass
        big.append(status_of(read_answer(s)))
        s.close()

    threads = [threading.Thread(target=big_client, args=(i,)) for i in range(BIG)]
    t0 = time.time()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    r["big_time"] = time.time() - t0
    r["big"] = count(big)
    time.sleep(1)
    stop_health.set()
    hz.join()
    lat = sorted(d for d, _ in health)
    pick = lambda q: lat[min(len(lat) - 1, round((len(lat) - 1) * q))] * 1000
    r["health"] = "%d/%d, p50 %.1f ms, p99 %.1f ms" % (sum(ok for _, ok in health), len(lat), pick(0.5), pick(0.99))
    r["cut"] = count("%s: %s" % e for e in slow_ends)
    r["peak"] = hwm()

    # SIGTERM with the slow clients still connected.
    t = time.time()
    server.send_signal(signal.SIGTERM)
    try:
        r["code"] = server.wait(timeout=30)
        r["exit"] = "%.2f s" % (time.time() - t)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        r["code"] = None
        r["exit"] = "not within 30 s (killed)"
    r["exit_s"] = time.time() - t
    stop_slow.set()
    for th in slow:
        th.join(timeout=2)
    return r


runs = [abuse(b) for b in binaries]
names = ["serve"] + ["peer (PEER)"] * (len(runs) - 1)
print("%d slow clients (half trickling a head, half a body, a byte per 0.5 s) + %d concurrent %d MB bodies"
      " with a forged signature" % (SLOW, BIG, BIG_SIZE // 1_000_000))
print()
print("| | " + " | ".join(names) + " |")
print("| --- |" + " ---: |" * len(runs))
rows = [
    ("peak RSS, idle after start-up", lambda r: "%.1f MiB" % (r["start"] / 1024)),
    ("peak RSS, plain load run (section 1)", lambda r: "%.1f MiB" % (baseline / 1024) if r is runs[0] else "-"),
    ("peak RSS, abuse", lambda r: "%.1f MiB" % (r["peak"] / 1024)),
    ("abuse / load peak RSS", lambda r: "%.2f×" % (r["peak"] / baseline)),
    ("20 MB bodies' answers", lambda r: r["big"]),
    ("20 MB bodies all answered in", lambda r: "%.2f s" % r["big_time"]),
    ("/healthz meanwhile: 200s, latency", lambda r: r["health"]),
    ("slow clients before SIGTERM", lambda r: r["cut"]),
    ("exit after SIGTERM", lambda r: r["exit"]),
]
for name, f in rows:
    print("| %s | %s |" % (name, " | ".join(f(r) for r in runs)))
ours = runs[0]
met = ours["peak"] < baseline + (4 * 25 + 64) * 1024 and ours["code"] == 0 and ours["exit_s"] < 11
print()
print("target (serve's peak within 4 × 25 MB + 64 MB of the load run's, exit within the 10 s grace): %s"
      % ("met" if met else "MISSED"))
sys.exit(0 if met else 1)
PY
exit "$status"
