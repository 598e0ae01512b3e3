from django.db import models
from django.utils import timezone


class LoginFailure(models.Model):
    """A wrong password typed for a user name (prebill.accounts.throttle counts them)."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.CharField(max_length=45, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"
