"""Orders, payments and paying."""

from decimal import Decimal

from rest_framework import serializers

from commerce.models import (
    Order,
    OrderItem,
    OrderStatusChange,
    Payment,
    PaymentProvider,
    Refund,
)
from commerce.money import format_amount
from commerce.services.orders import MAX_ORDER_LINES


class OrderLineSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=999)


class OrderCreateSerializer(serializers.Serializer):
    items = OrderLineSerializer(many=True, required=False, max_length=MAX_ORDER_LINES)
    cart = serializers.IntegerField(min_value=1, required=False)
    stream = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The live stream this sale comes from (counted in its analytics).",
    )

    def validate(self, attrs: dict) -> dict:
        if ("items" in attrs) == ("cart" in attrs):
            raise serializers.ValidationError("Send either `items` or `cart`.")
        if "items" in attrs and not attrs["items"]:
            raise serializers.ValidationError({"items": ["An order needs at least one item."]})
        return attrs


class OrderItemSerializer(serializers.ModelSerializer):
    unit_price = serializers.SerializerMethodField()
    line_total = serializers.SerializerMethodField()

    class Meta:
        model = OrderItem
        fields = ["product", "sku", "name", "unit_price", "quantity", "line_total"]

    def get_unit_price(self, item: OrderItem) -> str:
        return format_amount(item.unit_price_minor, item.order.currency)

    def get_line_total(self, item: OrderItem) -> str:
        return format_amount(item.line_total_minor, item.order.currency)


class OrderStatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderStatusChange
        fields = ["from_status", "to_status", "reason", "created_at"]


class OrderSerializer(serializers.ModelSerializer):
    items = OrderItemSerializer(many=True, read_only=True)
    total = serializers.SerializerMethodField()
    status_history = OrderStatusChangeSerializer(source="status_changes", many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "currency",
            "total",
            "items",
            "payment_due_at",
            "paid_at",
            "fulfilled_at",
            "cancelled_at",
            "refunded_at",
            "stream",
            "created_at",
            "status_history",
        ]
        read_only_fields = fields

    def get_total(self, order: Order) -> str:
        return format_amount(order.total_minor, order.currency)


class PaymentSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    amount = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "order",
            "order_number",
            "provider",
            "provider_reference",
            "amount",
            "currency",
            "status",
            "attempts",
            "next_retry_at",
            "failure_message",
            "flagged",
            "created_at",
            "succeeded_at",
        ]
        read_only_fields = fields

    def get_amount(self, payment: Payment) -> str:
        return format_amount(payment.amount_minor, payment.currency)


class PayRequestSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=PaymentProvider.choices)


class StripeInstructionsSerializer(serializers.Serializer):
    payment_intent = serializers.CharField(help_text="The PaymentIntent's id (pi_...).")
    client_secret = serializers.CharField(
        help_text="Give it to Stripe.js (confirmCardPayment / the Payment Element) to pay."
    )
    amount = serializers.IntegerField(help_text="In Stripe's minor units for the currency.")
    currency = serializers.CharField(help_text="Lower-case ISO code, as Stripe takes it.")
    metadata = serializers.DictField(
        child=serializers.CharField(), help_text="What the PaymentIntent carries in its metadata."
    )


class EcpayInstructionsSerializer(serializers.Serializer):
    action = serializers.URLField(help_text="POST the fields to this AioCheckOut URL.")
    fields = serializers.DictField(child=serializers.CharField())


class PayResponseSerializer(serializers.Serializer):
    payment = PaymentSerializer()
    stripe = StripeInstructionsSerializer(required=False)
    ecpay = EcpayInstructionsSerializer(required=False)


class RefundRequestSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        min_value=Decimal("0.001"),
        required=False,
        help_text="Refund part of the payment (order currency); the whole of it when left out.",
    )
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True)


class RefundSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()

    class Meta:
        model = Refund
        fields = [
            "id",
            "order",
            "payment",
            "amount",
            "currency",
            "status",
            "provider_reference",
            "reason",
            "note",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields

    def get_amount(self, refund: Refund) -> str:
        return format_amount(refund.amount_minor, refund.currency)
