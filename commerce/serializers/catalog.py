"""Products and carts."""

from decimal import Decimal

from rest_framework import serializers

from commerce.models import Cart, CartItem, Product
from commerce.money import format_amount, to_minor


class ProductSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    currency = serializers.CharField(max_length=3, required=False)

    class Meta:
        model = Product
        fields = ["id", "sku", "name", "price", "currency", "stock", "active"]
        # Uniqueness is checked by the service, with a clearer message.
        extra_kwargs = {"sku": {"validators": []}}


class CartItemSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)
    unit_price = serializers.DecimalField(
        source="product.price", max_digits=12, decimal_places=2, read_only=True
    )
    currency = serializers.CharField(source="product.currency", read_only=True)

    class Meta:
        model = CartItem
        fields = ["product", "sku", "name", "unit_price", "currency", "quantity"]


class CartSerializer(serializers.ModelSerializer):
    items = CartItemSerializer(many=True, read_only=True)
    total = serializers.SerializerMethodField()

    class Meta:
        model = Cart
        fields = ["id", "items", "total", "created_at", "updated_at"]

    def get_total(self, cart: Cart) -> str | None:
        """The items' current total, or null when they mix currencies or the cart is empty."""
        items = list(cart.items.all())
        currencies = {item.product.currency for item in items}
        if len(currencies) != 1:
            return None
        currency = currencies.pop()
        minor = sum(to_minor(item.product.price, currency) * item.quantity for item in items)
        return format_amount(minor, currency)


class CartItemWriteSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    quantity = serializers.IntegerField(min_value=1, max_value=999, default=1)


class CartItemQuantitySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=999)
