"""The firm's collaborators, their groups and sale rates."""

from django.db import models


class CollaboratorGroup(models.Model):
    code = models.CharField(max_length=30, unique=True)
    label = models.CharField(max_length=200)

    def __str__(self):
        return self.code


class Collaborator(models.Model):
    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    grade = models.CharField(max_length=50, blank=True, help_text="e.g. partner, manager, senior, junior")
    groups = models.ManyToManyField(CollaboratorGroup, blank=True, related_name="collaborators")
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    daily_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self):
        return f"{self.code} {self.name}"
