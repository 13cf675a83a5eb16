"""A password change revokes every API token of the user.

This receiver writes instead of enqueueing, on purpose: the revocation must commit (or
roll back) with the new password. (The welcome email of a new account is the
notifications app's: it listens to the user model's post_save.)
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save
from django.dispatch import receiver

from accounts.services import auth_tokens_revoke_all

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
