"""localstripe (a Stripe-compatible server from PyPI) on a free loopback port, for tests.

Started as a child process bound to 127.0.0.1 only, stopped (and waited for) at the end.
It starts empty: its `--from-scratch`-like start skips the state file it keeps in /tmp.
"""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import stripe

from tests.servers import die_with_the_test_session, free_port

_SERVE = (
    "import sys\n"
    "from aiohttp import web\n"
    "from localstripe.server import app\n"
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n"
)
TEST_KEY = "sk_test_reelhouse"


@contextmanager
def localstripe_server() -> Iterator[str]:
    """Run localstripe; yield its API base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=die_with_the_test_session,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"localstripe did not start: {process.stderr.read().decode()[-2000:]}"
                    ) from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


def customer_confirms(api_base: str, intent_id: str) -> stripe.PaymentIntent:
    """Pay a PaymentIntent with a test card, as Stripe.js would in the customer's browser.

    localstripe does not take `payment_method` on confirm, so the card is attached first.
    """
    client = stripe.StripeClient(TEST_KEY, base_addresses={"api": api_base})
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    method = client.v1.payment_methods.create(params={"type": "card", "card": card})
    client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
    return client.v1.payment_intents.confirm(intent_id)


def retrieve_intent(api_base: str, intent_id: str) -> dict:
    client = stripe.StripeClient(TEST_KEY, base_addresses={"api": api_base})
    return client.v1.payment_intents.retrieve(intent_id).to_dict()


def retrieve_charge(api_base: str, charge_id: str) -> dict:
    client = stripe.StripeClient(TEST_KEY, base_addresses={"api": api_base})
    return client.v1.charges.retrieve(charge_id).to_dict()
