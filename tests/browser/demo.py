"""The demo organisation for the browser tests and the screenshots: exactly what make run loads."""

from portal.demo.seed import DemoSeed, seed_all


def seed_portal_demo(*, now=None) -> DemoSeed:
    """Load the whole demo organisation: people, catalog, rota, history and incidents."""
    return seed_all(now=now)
