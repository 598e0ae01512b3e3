"""Reads of the catalogue for the rules and the pages: the article rules as the core sees them."""

from __future__ import annotations

from prebill.core import article_rules

from .models import ArticleRule


def rules_in_force() -> tuple[list[article_rules.ArticleRule], dict[str, int]]:
    """Every article rule as the core's value, and each rule's id by its code, in one query."""
    rules, ids = [], {}
    for pk, code, article, client, engagement, activity, domain, collaborator, group in ArticleRule.objects.values_list(
        "id", "code", "article_id", "client_id", "engagement_id", "activity", "domain", "collaborator_id", "group_id"
    ):
        rules.append(article_rules.ArticleRule(code, article, client, engagement, activity, domain, collaborator, group))
        ids[code] = pk
    return rules, ids
