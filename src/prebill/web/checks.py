"""System checks of an installation (`prebill serve` and `check` print them)."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=False)
def public_secret_key(app_configs, **kwargs) -> list:
    """The demo's secret key is in the repository: sessions and CSRF tokens signed with it can be forged."""
    if settings.SECRET_KEY != settings.DEMO_SECRET_KEY or settings.DEBUG:
        return []
    return [Warning("PREBILL_SECRET_KEY is not set: the public demo key signs sessions and CSRF tokens; anyone "
                    "can forge them. Set it (50 random characters) anywhere but a local demo.",
                    id="prebill.W001")]
