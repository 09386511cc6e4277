"""Every process-local cache is in the registry, and ``clear_all`` empties each of them."""

import collections
import datetime
import functools
import importlib
import pkgutil
import types

import pytest
from django.utils import timezone

from core import caches, timeutil
from ownership.api import views as ownership_api
from ownership.selectors import path_lookup_cache
from portal.demo import seed as demo_seed
from reports import standby, workcal
from rota import routing_cache
from rota.api import oncall as oncall_api
from rota.selectors.board import board_cache
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory
from tests.rota.factories import RotationFactory, ShiftFactory

APPS = ["core", "ownership", "rota", "incidents", "notifications", "reports", "portal", "importers"]
# Module-level containers that are not caches: filled once as modules register themselves.
NOT_CACHES = {("importers.registry", "IMPORTERS")}
REGISTERED = [
    "core.pagination.counts",
    "core.providers.imported",
    "core.throttling.parse_rate",
    "core.timeutil.zone",
    "ownership.api.path_json",
    "ownership.path_lookup",
    "portal.demo.organisation",
    "portal.hotpath",
    "reports.standby.midnight",
    "reports.standby.piece",
    "reports.workcal.opening",
    "rota.api.oncall_json",
    "rota.board",
    "rota.feeds.event_bytes",
    "rota.routing.answers",
    "rota.routing.at_answers",
]


def _modules():
    for app in APPS:
        package = importlib.import_module(app)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            # Migrations are not imported by the running site; settings overlays read the
            # environment of the process they configure.
            if ".migrations" in info.name or info.name.startswith("portal.settings"):
                continue
            yield importlib.import_module(info.name)


CACHE_WORDS = ("cache", "rendered", "answers", "memo")
# Class attributes are only suspect when named like a cache (a class's choices are lists).
CLASS_CACHE_WORDS = ("cache", "memo")
CONTAINERS = (dict, set, list)  # and their subclasses: defaultdict, OrderedDict, Counter, ...


def _named(name, words) -> bool:
    return any(word in name.lower() for word in words)


def _looks_like_a_cache(module, name, value) -> bool:
    """Memoised functions, objects of a *Cache class, and module-level containers (dict, set,
    list or a subclass) that are empty between uses or named like a cache."""
    if isinstance(value, functools._lru_cache_wrapper):
        return value.__module__ == module.__name__
    if isinstance(value, CONTAINERS) and not name.startswith("__"):
        return _named(name, CACHE_WORDS) or not value
    return hasattr(value, "clear") and "cache" in type(value).__name__.lower()


def _suspects(module):
    """Yield ``(dotted name, value)`` of what in ``module`` looks like a process cache: its
    globals, and the class attributes of its own classes that are containers named like a
    cache (``_cache = {}`` on a class lives as long as the process)."""
    for name, value in vars(module).items():
        if _looks_like_a_cache(module, name, value):
            yield name, value
        if isinstance(value, type) and value.__module__ == module.__name__:
            for attr, held in vars(value).items():
                if isinstance(held, CONTAINERS) and _named(attr, CLASS_CACHE_WORDS):
                    yield f"{name}.{attr}", held


def test_every_process_cache_in_the_apps_is_registered():
    registered = {id(getattr(fn, "__self__", fn)) for fn in caches.clearers().values()}
    unregistered = [
        f"{module.__name__}.{name}"
        for module in _modules()
        for name, value in _suspects(module)
        if (module.__name__, name) not in NOT_CACHES and id(value) not in registered
    ]
    assert unregistered == []


@pytest.mark.parametrize(
    "value",
    [collections.defaultdict(list), collections.OrderedDict(), collections.Counter()],
    ids=["defaultdict", "OrderedDict", "Counter"],
)
def test_the_finder_sees_subclasses_of_dict_as_caches(value):
    # Worked out on paper: an empty defaultdict/OrderedDict/Counter at module level is a cache
    # between uses; a non-empty one is too when named like a cache, and not otherwise.
    module = types.ModuleType("rota.example")
    assert _looks_like_a_cache(module, "_seen", value)
    value["x"] = 1
    assert _looks_like_a_cache(module, "_answer_cache", value)
    assert not _looks_like_a_cache(module, "CHOICES", value)


def test_the_finder_sees_a_cache_kept_on_a_class():
    # Worked out on paper: Lookup._memo (a dict on a class of this module) is found, its
    # ``choices`` list is not (not named like a cache), nor a class imported from elsewhere.
    module = types.ModuleType("rota.example")

    class Lookup:
        _memo = {}
        choices = ["a"]

    Lookup.__module__ = "rota.example"
    module.Lookup = Lookup
    module.OrderedDict = collections.OrderedDict
    assert [name for name, _value in _suspects(module)] == ["Lookup._memo"]


def test_the_registry_lists_the_known_caches():
    list(_modules())  # every cache registers on import
    assert caches.names() == REGISTERED


def test_a_name_taken_by_another_cache_is_refused():
    with pytest.raises(ValueError, match="rota.board"):
        caches.register("rota.board", {}.clear)


@pytest.mark.django_db
def test_clear_all_empties_every_cache(client):
    team = TeamFactory(slug="payments")
    alice = MembershipFactory(team=team).user
    ComponentFactory(slug="billing", owner_team=team, paths=["/billing/"])
    now = timezone.now()
    rotation = RotationFactory(team=team, participants=[alice], timezone="UTC")
    ShiftFactory(rotation=rotation, user=alice, start=now - datetime.timedelta(hours=1))
    client.force_login(alice)
    # Fill every cache through what uses it.
    assert client.get("/api/v1/oncall/", {"team": "payments"}).status_code == 200
    assert client.get("/api/v1/ownership/", {"path": "/billing/x.py"}).status_code == 200
    assert client.get("/").status_code == 200
    day = datetime.date(2030, 1, 7)
    timeutil.zone("Europe/Berlin")
    standby._piece("UTC", now, now + datetime.timedelta(hours=1))
    workcal._opening(day, "UTC")
    demo_seed.organisation()

    lru = [
        timeutil.zone,
        standby._midnight,
        standby._piece,
        workcal._opening,
        demo_seed.organisation,
    ]
    assert routing_cache._answers and oncall_api._rendered and ownership_api._rendered
    assert path_lookup_cache.answers and board_cache._entry is not None
    assert all(fn.cache_info().currsize for fn in lru)

    caches.clear_all()

    assert not routing_cache._answers and not oncall_api._rendered and not ownership_api._rendered
    assert not path_lookup_cache.answers and path_lookup_cache.version is None
    assert board_cache._entry is None
    assert [fn.cache_info().currsize for fn in lru] == [0] * len(lru)
