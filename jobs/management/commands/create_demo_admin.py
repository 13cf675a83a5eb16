"""Create the development-only demo superuser and print its credentials once."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a demo superuser for local development (never when DEBUG=0)."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            self.stdout.write("Production mode (DEBUG=0): no demo admin is created.")
            return
        username = settings.DEMO_ADMIN_USERNAME
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            self.stdout.write(f"Demo admin {username!r} already exists; password unchanged.")
            return
        password = settings.DEMO_ADMIN_PASSWORD or secrets.token_urlsafe(12)
        user_model.objects.create_superuser(
            username=username, email=f"{username}@localhost", password=password
        )
        self.stdout.write(
            self.style.WARNING(
                "Demo admin created (shown once, development only):\n"
                f"  username: {username}\n  password: {password}"
            )
        )
