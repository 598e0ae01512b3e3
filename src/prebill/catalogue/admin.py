from django.contrib import admin

from .models import Article, ArticleRule


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["code", "sub_code", "label", "unit", "vat_rate", "revenue_account"]
    search_fields = ["code", "label"]


@admin.register(ArticleRule)
class ArticleRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "article", "client", "engagement", "activity", "domain", "collaborator", "group"]
    list_select_related = ["article", "client", "engagement", "collaborator", "group"]
    raw_id_fields = ["client", "engagement", "collaborator"]
