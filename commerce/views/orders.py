"""Orders (own): place, cancel, pay; payments (own, read)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from commerce import selectors
from commerce.models import Order, Payment, PaymentProvider
from commerce.serializers.orders import (
    OrderCreateSerializer,
    OrderSerializer,
    PaymentSerializer,
    PayRequestSerializer,
    PayResponseSerializer,
    RefundRequestSerializer,
    RefundSerializer,
)
from commerce.services.orders import OrderLine, order_cancel, order_place
from commerce.services.payments import payment_start
from commerce.services.refunds import refund_request


class OrderViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Your orders: placing one reserves its stock until it is paid, cancelled or expires."""

    serializer_class = OrderSerializer
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "total_minor"]
    search_fields = ["number"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return selectors.orders_visible_to(self.request.user)

    @extend_schema(
        request=OrderCreateSerializer,
        responses={
            201: OrderSerializer,
            409: OpenApiResponse(description="Not enough stock (names the product)."),
        },
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Place an order from `items` or from one of your carts."""
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "cart" in data:
            cart = selectors.carts_of(request.user).filter(pk=data["cart"]).first()
            if cart is None:
                raise ValidationError({"cart": [f"You have no cart {data['cart']}."]})
            order = order_place(user=request.user, cart=cart, stream_id=data.get("stream"))
        else:
            lines = [OrderLine(line["product"], line["quantity"]) for line in data["items"]]
            order = order_place(user=request.user, lines=lines, stream_id=data.get("stream"))
        order = self.get_queryset().get(pk=order.pk)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel an unpaid order; its stock goes back on sale."""
        order = order_cancel(order=self.get_object(), by=request.user)
        return Response(OrderSerializer(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(request=PayRequestSerializer, responses={201: PayResponseSerializer})
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, pk: str | None = None) -> Response:
        """Open a payment: Stripe PaymentIntent fields, or ECPay's signed checkout form."""
        serializer = PayRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        provider = serializer.validated_data["provider"]
        started = payment_start(order=self.get_object(), provider=provider, user=request.user)
        key = "ecpay" if provider == PaymentProvider.ECPAY else "stripe"
        body = {"payment": PaymentSerializer(started.payment).data, key: started.instructions}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RefundRequestSerializer,
        responses={
            202: RefundSerializer,
            403: OpenApiResponse(description="Staff only."),
            409: OpenApiResponse(description="The order is not paid, or already refunded."),
        },
    )
    @action(detail=True, methods=["post"])
    def refund(self, request: Request, pk: str | None = None) -> Response:
        """Refund a paid order (staff): all of it, or `amount`; a job asks the provider."""
        if not request.user.is_staff:
            raise PermissionDenied("Only staff can refund orders.")
        serializer = RefundRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refund = refund_request(
            order=self.get_object(), by=request.user, **serializer.validated_data
        )
        return Response(RefundSerializer(refund).data, status=status.HTTP_202_ACCEPTED)


class PaymentViewSet(viewsets.ReadOnlyModelViewSet):
    """Payments of your orders."""

    serializer_class = PaymentSerializer
    filterset_fields = ["status", "provider", "order"]
    ordering_fields = ["created_at"]
    search_fields = ["provider_reference"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return selectors.payments_visible_to(self.request.user)
