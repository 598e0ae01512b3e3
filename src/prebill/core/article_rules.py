"""Article rules: which article time is billed under. The most specific matching rule wins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .refusals import Refusal, gettext_noop

CRITERIA = ("client", "engagement", "activity", "domain", "collaborator", "group")


@dataclass(frozen=True)
class ArticleRule:
    code: str
    article: object  # the article's identifier, whatever the caller uses
    client: object = None
    engagement: object = None
    activity: str | None = None
    domain: str | None = None
    collaborator: object = None
    group: object = None

    @property
    def specificity(self) -> int:
        return sum(1 for name in CRITERIA if getattr(self, name) not in (None, ""))


@dataclass(frozen=True)
class TimeFacts:
    client: object
    engagement: object
    activity: str
    domain: str
    collaborator: object
    groups: frozenset = field(default_factory=frozenset)


class ArticleRuleTie(Refusal, ValueError):
    def __init__(self, rules: list[ArticleRule]):
        self.rules = rules
        super().__init__(
            gettext_noop("article rules %(names)s match equally (%(criteria)s criteria each); "
                         "make one of them more specific"),
            names=", ".join(sorted(rule.code for rule in rules)), criteria=rules[0].specificity)



def rule_matches(rule: ArticleRule, facts: TimeFacts) -> bool:
    for name in ("client", "engagement", "activity", "domain", "collaborator"):
        wanted = getattr(rule, name)
        if wanted not in (None, "") and wanted != getattr(facts, name):
            return False
    return rule.group in (None, "") or rule.group in facts.groups


def choose_rule(rules: Iterable[ArticleRule], facts: TimeFacts) -> ArticleRule | None:
    """The single most specific rule matching the facts; a tie at the top raises ArticleRuleTie."""
    best: list[ArticleRule] = []
    for rule in rules:
        if not rule_matches(rule, facts):
            continue
        if not best or rule.specificity > best[0].specificity:
            best = [rule]
        elif rule.specificity == best[0].specificity:
            best.append(rule)
    if len(best) > 1:
        raise ArticleRuleTie(best)
    return best[0] if best else None
