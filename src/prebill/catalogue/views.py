from django.shortcuts import render
from django.utils.translation import gettext

from prebill.accounts.roles import SEE_PORTFOLIO, role_required
from prebill.clients.models import Client
from prebill.core.article_rules import ArticleRuleTie, TimeFacts, choose_rule
from prebill.engagements.models import Engagement
from prebill.team.models import Collaborator

from .models import Article, ArticleRule
from .selectors import rules_in_force


@role_required(SEE_PORTFOLIO)
def catalogue(request):
    """Articles, article rules, and the tester that says which rule applies to a piece of time."""
    get = request.GET
    verdict = None
    if "test" in get:
        verdict = _which_rule(get)
    return render(request, "catalogue/catalogue.html", {
        "articles": Article.objects.order_by("code", "sub_code"),
        "rules": ArticleRule.objects.select_related("article", "client", "engagement", "collaborator", "group")
        .order_by("code"),
        "verdict": verdict, "section": "catalogue",
    })


def _which_rule(get) -> dict:
    client = Client.objects.filter(code=get.get("client", "")).first()
    engagement = Engagement.objects.filter(code=get.get("engagement", "")).first()
    collaborator = Collaborator.objects.filter(code=get.get("collaborator", "")).prefetch_related("groups").first()
    if engagement is not None and client is None:
        client = engagement.client
    facts = TimeFacts(
        client=client.pk if client else None, engagement=engagement.pk if engagement else None,
        activity=get.get("activity", ""), domain=get.get("domain", ""),
        collaborator=collaborator.pk if collaborator else None,
        groups=frozenset(g.pk for g in collaborator.groups.all()) if collaborator else frozenset(),
    )
    try:
        rule = choose_rule(rules_in_force()[0], facts)
    except ArticleRuleTie as tie:
        return {"tie": tie.translated(gettext)}
    if rule is None:
        return {"none": True}
    return {"rule": rule.code, "article": Article.objects.get(pk=rule.article)}
