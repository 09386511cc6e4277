"""An import started from the admin: the file, its dry run, then the real run's progress."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class ImportRun(models.Model):
    """One file given to one importer: dry run first, then applied by a Celery task.

    The file is kept in the database (``data``), so a worker on another machine reads the
    same bytes the dry run read. ``report`` is ``ImportReport.as_dict()`` of the dry run,
    then of the real run.
    """

    class Status(models.TextChoices):
        CHECKED = "checked", "Dry run done: review, then apply"
        REFUSED = "refused", "File refused"
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    importer = models.CharField(max_length=60, help_text="The importer's name (registry).")
    file_name = models.CharField(max_length=255)
    data = models.BinaryField(editable=False)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    unmapped = models.JSONField(
        default=list, blank=True, help_text="Source services the dry run could not map."
    )
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "import"

    def __str__(self):
        return f"{self.importer}: {self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("admin:importers_importrun_run", kwargs={"pk": self.pk})

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
