"""Products, the stock ledger, carts and customers."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from commerce.models import Cart, CartItem, CustomerProfile, OtpChallenge, Product, StockMovement
from commerce.services.catalog import product_update


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "price", "currency", "stock", "active", "updated_at"]
    list_filter = ["active", "currency"]
    search_fields = ["sku", "name"]
    list_editable = ["active"]
    ordering = ["name"]
    actions = ["make_active", "make_inactive"]

    @admin.action(description="Put selected products on sale")
    def make_active(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        for product in queryset:
            product_update(product=product, active=True)
        self.message_user(request, f"{queryset.count()} product(s) on sale.")

    @admin.action(description="Take selected products off sale")
    def make_inactive(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        for product in queryset:
            product_update(product=product, active=False)
        self.message_user(request, f"{queryset.count()} product(s) off sale.")


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ["created_at", "product", "kind", "quantity", "stock_after", "order"]
    list_filter = ["kind", "created_at"]
    search_fields = ["product__sku", "order__number"]
    list_select_related = ["product", "order"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class CartItemInline(admin.TabularInline):
    model = CartItem
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "item_count", "updated_at", "reminder_sent_at"]
    list_filter = [("reminder_sent_at", admin.EmptyFieldListFilter), "updated_at"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]
    inlines = [CartItemInline]

    @admin.display(description="Items")
    def item_count(self, cart: Cart) -> int:
        return cart.items.count()


@admin.register(CustomerProfile)
class CustomerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "phone", "phone_verified_at", "language"]
    search_fields = ["user__username", "user__email", "phone"]
    raw_id_fields = ["user"]


@admin.register(OtpChallenge)
class OtpChallengeAdmin(admin.ModelAdmin):
    list_display = ["phone", "created_at", "expires_at", "attempts", "consumed_at", "requested_ip"]
    search_fields = ["phone", "requested_ip"]
    list_filter = ["created_at"]
    exclude = ["code_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
