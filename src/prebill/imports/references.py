"""Business codes of the portfolio mapped to row ids, loaded in a few set-based queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from prebill.catalogue.models import Article
from prebill.clients.models import BillingAddress, Client
from prebill.engagements.models import Engagement, EngagementPart, Task
from prebill.team.models import Collaborator, CollaboratorGroup


@dataclass
class References:
    """Codes known to the database (and, while checking a file, to the file: their id is None)."""

    clients: dict[str, int | None] = field(default_factory=dict)
    addresses: dict[tuple[str, str], int | None] = field(default_factory=dict)
    groups: dict[str, int | None] = field(default_factory=dict)
    collaborators: dict[str, int | None] = field(default_factory=dict)
    articles: dict[str, int | None] = field(default_factory=dict)  # "CODE" or "CODE/SUB"
    engagements: dict[str, int | None] = field(default_factory=dict)
    engagement_clients: dict[str, str] = field(default_factory=dict)
    parts: dict[tuple[str, str], int | None] = field(default_factory=dict)
    part_kinds: dict[tuple[str, str], str] = field(default_factory=dict)
    tasks: dict[tuple[str, str], int | None] = field(default_factory=dict)

    @classmethod
    def from_database(cls) -> References:
        refs = cls()
        clients = dict(Client.objects.values_list("id", "code"))
        refs.clients = {code: pk for pk, code in clients.items()}
        refs.addresses = {
            (clients[client_id], code): pk
            for pk, client_id, code in BillingAddress.objects.values_list("id", "client_id", "code")
        }
        refs.groups = {code: pk for pk, code in CollaboratorGroup.objects.values_list("id", "code")}
        refs.collaborators = {code: pk for pk, code in Collaborator.objects.values_list("id", "code")}
        refs.articles = {
            article_ref(code, sub): pk for pk, code, sub in Article.objects.values_list("id", "code", "sub_code")
        }
        engagements = {}
        for pk, code, client_id in Engagement.objects.values_list("id", "code", "client_id"):
            engagements[pk] = code
            refs.engagements[code] = pk
            refs.engagement_clients[code] = clients[client_id]
        for pk, engagement_id, code, kind in EngagementPart.objects.values_list("id", "engagement_id", "code", "kind"):
            refs.parts[(engagements[engagement_id], code)] = pk
            refs.part_kinds[(engagements[engagement_id], code)] = kind
        refs.tasks = {
            (engagements[engagement_id], code): pk
            for pk, engagement_id, code in Task.objects.values_list("id", "engagement_id", "code")
        }
        return refs


def article_ref(code: str, sub_code: str = "") -> str:
    return f"{code}/{sub_code}" if sub_code else code


def split_article_ref(ref: str) -> tuple[str, str]:
    code, _, sub_code = ref.partition("/")
    return code, sub_code

