"""The commerce app: orders, payments (Stripe, ECPay) and phone one-time codes."""

from .environment import env

# --- Commerce -------------------------------------------------------------------------
SHOP_CURRENCY = env("SHOP_CURRENCY", default="TWD")
ORDER_PAYMENT_TIMEOUT_MINUTES = env.int("ORDER_PAYMENT_TIMEOUT_MINUTES", default=30)
# Quotas of non-staff accounts (429 past them; 0 = no limit): orders awaiting payment at
# once, and how many of one product one order may hold.
ORDERS_MAX_UNPAID_PER_USER = env.int("ORDERS_MAX_UNPAID_PER_USER", default=3)
ORDER_MAX_QUANTITY_PER_LINE = env.int("ORDER_MAX_QUANTITY_PER_LINE", default=10)
CART_ABANDONED_AFTER_HOURS = env.int("CART_ABANDONED_AFTER_HOURS", default=24)
STREAM_RETENTION_DAYS = env.int("STREAM_RETENTION_DAYS", default=90)
PAYMENT_RETRY_MAX_ATTEMPTS = env.int("PAYMENT_RETRY_MAX_ATTEMPTS", default=3)
# Stripe's secret API key (sk_live_... / sk_test_...): creates PaymentIntents and refunds.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
# Where the Stripe client sends API calls: Stripe's, or a Stripe-compatible test server.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
# Seconds one Stripe API call may take before the client answers 503.
STRIPE_API_TIMEOUT_SECONDS = env.int("STRIPE_API_TIMEOUT_SECONDS", default=20)
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
ECPAY_MERCHANT_ID = env("ECPAY_MERCHANT_ID", default="")
ECPAY_HASH_KEY = env("ECPAY_HASH_KEY", default="")
ECPAY_HASH_IV = env("ECPAY_HASH_IV", default="")
ECPAY_CHECKOUT_URL = env(
    "ECPAY_CHECKOUT_URL", default="https://payment-stage.ecpay.com.tw/Cashier/AioCheckOut/V5"
)
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://localhost:8000")
OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=5)
# Codes one phone number / one client IP may request: (window in seconds, codes) pairs.
OTP_SEND_LIMITS_PER_PHONE = [(60, 1), (3600, 5)]
OTP_SEND_LIMITS_PER_IP = [(60, 5), (3600, 20)]
# A failed payment is re-opened after this, doubling per attempt (60 s, 120 s, 240 s ...).
PAYMENT_RETRY_BACKOFF_SECONDS = env.int("PAYMENT_RETRY_BACKOFF_SECONDS", default=60)
