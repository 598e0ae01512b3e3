"""Articles lines are billed under, and the rules that map time to an article."""

from decimal import Decimal

from django.db import models


class Article(models.Model):
    code = models.CharField(max_length=30)
    sub_code = models.CharField(max_length=30, blank=True, default="")
    label = models.CharField(max_length=200)
    unit = models.CharField(max_length=20, default="unit")
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("20.00"))
    revenue_account = models.CharField(max_length=20, default="706000")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code", "sub_code"], name="article_code_unique")]

    def __str__(self):
        return f"{self.code}/{self.sub_code}" if self.sub_code else self.code


class ArticleRule(models.Model):
    """Time matching every criterion set here is billed under `article`; no criterion is mandatory."""

    code = models.CharField(max_length=30, unique=True)
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="rules")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, null=True, blank=True)
    engagement = models.ForeignKey("engagements.Engagement", on_delete=models.CASCADE, null=True, blank=True)
    activity = models.CharField(max_length=50, blank=True)
    domain = models.CharField(max_length=50, blank=True)
    collaborator = models.ForeignKey("team.Collaborator", on_delete=models.CASCADE, null=True, blank=True)
    group = models.ForeignKey("team.CollaboratorGroup", on_delete=models.CASCADE, null=True, blank=True)

    def __str__(self):
        return self.code
