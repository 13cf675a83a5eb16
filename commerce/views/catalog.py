"""Products (staff write, everyone reads) and carts (own)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from commerce import selectors
from commerce.models import Cart, Product
from commerce.serializers.catalog import (
    CartItemQuantitySerializer,
    CartItemWriteSerializer,
    CartSerializer,
    ProductSerializer,
)
from commerce.services import carts as cart_services
from commerce.services.catalog import product_create, product_delete, product_update
from config.routers import INTEGER_ID


class IsStaffOrReadOnly(permissions.BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_staff)


class ProductViewSet(viewsets.ModelViewSet):
    """The catalogue: read for signed-in users, write for staff."""

    serializer_class = ProductSerializer
    permission_classes = [permissions.IsAuthenticated, IsStaffOrReadOnly]
    filterset_fields = ["active", "currency"]
    search_fields = ["sku", "name"]
    ordering_fields = ["name", "price", "stock", "sku"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Product.objects.none()
        return selectors.products_visible_to(self.request.user).order_by("name", "pk")

    def perform_create(self, serializer: ProductSerializer) -> None:
        serializer.instance = product_create(**serializer.validated_data)

    def perform_update(self, serializer: ProductSerializer) -> None:
        serializer.instance = product_update(
            product=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: Product) -> None:
        product_delete(product=instance)


class CartViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your carts and their items."""

    serializer_class = CartSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Cart.objects.none()
        return selectors.carts_of(self.request.user)

    def perform_create(self, serializer: CartSerializer) -> None:
        serializer.instance = cart_services.cart_create(user=self.request.user)

    def _fresh(self, cart_id: int) -> Response:
        return Response(CartSerializer(self.get_queryset().get(pk=cart_id)).data)

    @extend_schema(request=CartItemWriteSerializer, responses=CartSerializer)
    @action(detail=True, methods=["post"], url_path="items")
    def add_item(self, request: Request, pk: str | None = None) -> Response:
        """Add a quantity of a product to the cart (adding to what is there)."""
        cart = self.get_object()
        serializer = CartItemWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart_services.cart_item_add(cart=cart, **serializer.validated_data)
        return self._fresh(cart.pk)

    def _product(self, product_id: str) -> Product:
        return get_object_or_404(Product, pk=product_id)

    @extend_schema(request=CartItemQuantitySerializer, responses=CartSerializer)
    @action(detail=True, methods=["patch", "put"], url_path=rf"items/(?P<product_id>{INTEGER_ID})")
    def update_item(self, request: Request, pk: str | None, product_id: str) -> Response:
        """Set the quantity of a product in the cart."""
        cart = self.get_object()
        serializer = CartItemQuantitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart_services.cart_item_update(
            cart=cart, product=self._product(product_id), **serializer.validated_data
        )
        return self._fresh(cart.pk)

    @extend_schema(request=None, responses={204: None})
    @update_item.mapping.delete
    def remove_item(self, request: Request, pk: str | None, product_id: str) -> Response:
        """Take a product out of the cart."""
        cart = self.get_object()
        if not cart_services.cart_item_remove(cart=cart, product=self._product(product_id)):
            return Response(
                {"detail": "That product is not in the cart.", "code": "not_found", "errors": {}},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
