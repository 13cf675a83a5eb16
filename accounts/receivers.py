"""A password change revokes every API token of the user; a new account is welcomed.

These receivers write instead of enqueueing, on purpose: the revocation must commit (or
roll back) with the new password, and the welcome email is an outbox row (a Notification
and its sending job) committed with the new user, never left to a task that could be lost.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from accounts.services import auth_tokens_revoke_all
from notifications.services import send_welcome_email

User = get_user_model()


@receiver(pre_save, sender=User, dispatch_uid="accounts.revoke_tokens_on_password_change")
def revoke_tokens_on_password_change(sender, instance, update_fields=None, **kwargs) -> None:
    """Revoke the user's tokens when the saved password differs from the stored one."""
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    if update_fields is not None and set(update_fields) == {"password"} and not instance._password:
        return  # check_password() upgrading the hash of the same password on sign-in
    stored = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        auth_tokens_revoke_all(user=instance)


@receiver(post_save, sender=User, dispatch_uid="accounts.welcome_new_user")
def welcome_new_user(sender, instance, created: bool = False, raw: bool = False, **kwargs) -> None:
    """Queue the welcome email of a new user who has an email address."""
    if created and not raw and instance.email and settings.WELCOME_EMAIL:
        send_welcome_email(user=instance)
