"""One family for every refusal a user can meet: a rule says no, with a message and where.

The message is an English msgid with %(name)s placeholders; each interface translates it once
(gettext) into the user's language and fills in the parameters, so the core stays free of Django.
"""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    """Mark a core msgid for translation without translating it here.

    The core cannot import Django: it raises English msgids wrapped in this marker, which `make messages`
    extracts (Django's gettext_noop keyword) into the French catalogue, and each interface translates them
    with `Refusal.translated(gettext)`.
    """
    return message


class Refusal(Exception):
    """What was asked breaks a rule; nothing was changed.

    `where` names the place of the problem (a field, a JSON path, a line reference) when there is one.
    """

    def __init__(self, message: object, *, where: str = "", **params: object) -> None:
        self.message = message
        self.where = where
        self.params = params
        super().__init__(str(self))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text

    def translated(self, gettext) -> str:
        """The message in the active language (`gettext` is the interface's)."""
        text = gettext(str(self.message))
        try:
            return text % self.params if self.params else text
        except (KeyError, TypeError, ValueError):
            return str(self)
