"""A tag that changes with every write to the rota, for caches that must notice at once."""

from django.db import models


class RotaVersion(models.Model):
    """A random tag replaced in the same transaction as every rota change (see CatalogVersion).

    On-call lookups cache their answer per process until the next shift boundary; this tag
    (one primary-key read) tells them an edit made the answer stale sooner.
    """

    tag = models.CharField(max_length=32, default="initial")
    # When the tag was last replaced: dates changes that leave no row of their own (a removal),
    # e.g. for a calendar feed's Last-Modified.
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "rota version"

    def __str__(self):
        return f"rota version {self.tag}"
