from importers import registry
from importers.base import execute


def run_import(name: str, data: bytes, *, mapping=None, dry_run=False):
    """Run importer ``name`` over ``data`` as the command line and the admin do."""
    info = registry.get(name)
    return execute(info.run, data, source=name, options={"mapping": mapping or {}}, dry_run=dry_run)
