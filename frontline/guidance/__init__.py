"""Facts plus the published rule packs make cards; cards are routed, pushed and acted on.

This package joins `guidance_rules` (pure evaluation) with the database and the push layer.
"""

from .packs import init_app, published_pack

__all__ = ["init_app", "published_pack"]
