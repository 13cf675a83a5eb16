"""Benchmark: Stripe webhook intake vs. a trivial authenticated DRF endpoint.

Starts the real server (gunicorn from the venv, 2 sync workers) on a freshly migrated
database in a temporary VAR_DIR, then:

1. fixed rate: posts signed Stripe webhooks at --rate req/s for --seconds to 127.0.0.1,
   then GETs /api/v1/products/ with a token at the same rate; latency is measured from each
   request's scheduled send time (so a stalled server cannot hide its queueing);
2. saturation: --clients closed-loop clients per endpoint for --burst seconds, for req/s.

Prints p50/p99 latency and req/s of each and the ratios; goals: webhook p99 < 50 ms at
100 req/s, and webhook throughput >= 0.5x the products endpoint.

    .venv/bin/python bench/webhook_intake.py [--rate 100 --seconds 10 --database-url ...]
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from commerce.providers.stripe import sign  # noqa: E402  (pure module, no Django)

PYTHON = sys.executable
SECRET = "whsec_bench_secret"
WEBHOOK_PATH = "/api/v1/webhooks/payments/stripe/"
PRODUCTS_PATH = "/api/v1/products/"

SETUP = """
from decimal import Decimal
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from commerce.models import Product
from commerce.services.orders import OrderLine, order_place
user = get_user_model().objects.create_user("bench", "bench@example.com", "bench-pass-123")
product = Product.objects.create(
    sku="BENCH", name="Bench mug", price=Decimal("500.00"), stock=10**6
)
for n in range(4):
    Product.objects.create(sku=f"BENCH-{n}", name=f"Item {n}", price=Decimal("10.00"), stock=10)
orders = [order_place(user=user, lines=[OrderLine(product.pk, 1)]).pk for _ in range(20)]
print("BENCH", AuthToken.objects.create(user=user)[1], ",".join(map(str, orders)))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(var_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "VAR_DIR": str(var_dir),
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "API_THROTTLE_USER": "1000000/minute",
        # The setup places 20 unpaid orders for one customer.
        "ORDERS_MAX_UNPAID_PER_USER": "0",
    }
    env.pop("PYTEST_VERSION", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def prepare(env: dict[str, str]) -> tuple[str, list[int]]:
    manage = [PYTHON, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=BASE_DIR)
    out = subprocess.run(
        [*manage, "shell", "-c", SETUP], env=env, check=True, cwd=BASE_DIR, capture_output=True
    ).stdout.decode()
    line = next(row for row in out.splitlines() if row.startswith("BENCH "))
    _, token, orders = line.split()
    return token, [int(pk) for pk in orders.split(",")]


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    gunicorn = Path(PYTHON).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "config.wsgi:application", "-w", "2", "-b", f"127.0.0.1:{port}"],
        env=env,
        cwd=BASE_DIR,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/api/health/", None, {})[0] in (200, 503):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"gunicorn did not start; see {log}")


def request(
    port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, float]:
    """Send one request on a new connection; return (status, seconds taken)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


def webhook_requests(orders: list[int], count: int, tag: str) -> list[tuple]:
    """Pre-built, signed webhook deliveries (signing is not part of what is measured)."""
    calls = []
    for n in range(count):
        body = json.dumps(
            {
                "id": f"evt_{tag}_{n}",
                "object": "event",
                "type": "payment_intent.succeeded",
                "created": int(time.time()),
                "data": {
                    "object": {
                        "id": f"pi_{tag}_{n}",
                        "object": "payment_intent",
                        "amount": 50000,
                        "currency": "twd",
                        "metadata": {"order_id": str(orders[n % len(orders)])},
                    }
                },
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Stripe-Signature": sign(body, SECRET, timestamp=int(time.time())),
        }
        calls.append(("POST", WEBHOOK_PATH, body, headers))
    return calls


def product_requests(token: str, count: int) -> list[tuple]:
    return [("GET", PRODUCTS_PATH, None, {"Authorization": f"Token {token}"})] * count


def fixed_rate(port: int, calls: list[tuple], rate: float) -> dict[str, float]:
    """Send `calls` at `rate` per second; latency counts from each scheduled send time."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def send(index: int, call: tuple) -> None:
        nonlocal errors
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        try:
            status, _ = request(port, *call)
        except OSError:
            status = 0
        finished = time.perf_counter()
        with lock:
            latencies.append(finished - scheduled)
            errors += status != 200

    # Bounded: at most 64 requests in flight; more would only measure the client.
    with ThreadPoolExecutor(max_workers=64) as pool:
        for index, call in enumerate(calls):
            pool.submit(send, index, call)
    elapsed = max(time.perf_counter() - start, 1e-9)
    return summary(latencies, errors, elapsed)


def saturate(port: int, calls: list[tuple], clients: int, seconds: float) -> dict[str, float]:
    """Closed loop: `clients` threads send back to back for `seconds`."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    cursor = iter(range(len(calls)))

    def loop() -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            try:
                status, took = request(port, *calls[index])
            except OSError:
                status, took = 0, 0.0
            with lock:
                latencies.append(took)
                errors += status != 200

    started = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summary(latencies, errors, time.perf_counter() - started)


def summary(latencies: list[float], errors: int, elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)
    p99_index = max(0, round(0.99 * len(ordered)) - 1)
    return {
        "requests": len(ordered),
        "errors": errors,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else float("nan"),
        "p99_ms": ordered[p99_index] * 1000 if ordered else float("nan"),
        "rps": len(ordered) / elapsed,
    }


def show(name: str, result: dict[str, float]) -> None:
    print(
        f"  {name:<22} {result['requests']:>6.0f} req  {result['errors']:>4.0f} errors  "
        f"p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms  "
        f"{result['rps']:8.1f} req/s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--burst", type=float, default=5.0)
    parser.add_argument("--database-url", default=None, help="default: SQLite in the temp dir")
    parser.add_argument("--keep", action="store_true", help="keep the temporary VAR_DIR")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="reelhouse-bench-"))
    env = server_env(var_dir, args.database_url)
    server = None
    try:
        token, orders = prepare(env)
        port = free_port()
        server = start_server(env, port, var_dir / "gunicorn.log")
        count = int(args.rate * args.seconds)
        # warm both workers and both code paths
        for call in webhook_requests(orders, 20, "warm") + product_requests(token, 20):
            request(port, *call)

        print(f"fixed rate: {args.rate:.0f} req/s for {args.seconds:.0f} s (gunicorn, 2 workers)")
        hook = fixed_rate(port, webhook_requests(orders, count, "rate"), args.rate)
        show("stripe webhook", hook)
        products = fixed_rate(port, product_requests(token, count), args.rate)
        show("GET products (token)", products)

        print(f"saturation: {args.clients} clients for {args.burst:.0f} s")
        cap = int(args.burst * 2000)
        hook_max = saturate(port, webhook_requests(orders, cap, "max"), args.clients, args.burst)
        show("stripe webhook", hook_max)
        products_max = saturate(port, product_requests(token, cap), args.clients, args.burst)
        show("GET products (token)", products_max)

        ratio = hook_max["rps"] / products_max["rps"]
        print(
            f"webhook/products: p99 {hook['p99_ms'] / products['p99_ms']:.2f}x, "
            f"throughput {ratio:.2f}x"
        )
        p99_ok = hook["p99_ms"] < 50 and hook["errors"] == 0
        print(f"goal p99 < 50 ms at {args.rate:.0f} req/s: {'met' if p99_ok else 'NOT met'}")
        print(f"goal throughput >= 0.5x: {'met' if ratio >= 0.5 else 'NOT met'}")
        return 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        if args.keep:
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
