from django.db import models


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", "Received (not yet answered)"
    PENDING = "pending", "Pending (accepted, waiting for the applier)"
    ACCEPTED = "accepted", "Accepted"
    DUPLICATE = "duplicate", "Duplicate"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed (processing raised; retried by the reconciliation)"


class Delivery(models.Model):
    """One raw request to an ingestion route, recorded before anything else happens to it."""

    route = models.CharField(max_length=64, db_index=True)
    route_params = models.JSONField(default=dict, blank=True)
    connection = models.ForeignKey(
        "connections.Connection",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        help_text="Set once the sender is authenticated.",
    )
    headers = models.JSONField(default=dict, blank=True)
    query = models.JSONField(default=dict, blank=True)
    body = models.BinaryField(default=b"", blank=True)
    body_size = models.PositiveIntegerField(default=0)
    delivery_id = models.CharField(max_length=200, blank=True, default="")
    received_at = models.DateTimeField(db_index=True)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    validated = models.JSONField(
        null=True,
        blank=True,
        help_text="The validated payload, stored by routes whose applier writes it without "
        "validating the body again.",
    )
    effects = models.JSONField(default=dict, blank=True)
    readings = models.JSONField(
        default=list,
        blank=True,
        help_text="How values a drop-in route reads leniently were read (e.g. DevLake's "
        "zoneless times as UTC): [{field, value, read_as}].",
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["connection", "received_at"]),
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["connection", "delivery_id"]),
            # The applier's claim: the pending deliveries of a connection in arrival order.
            models.Index(
                fields=["connection", "id"],
                name="ingest_pending_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["received_at"],
                name="ingest_unprocessed_idx",
                condition=models.Q(status="accepted", processed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.route} #{self.pk} ({self.status})"

    @property
    def body_text(self) -> str:
        return bytes(self.body).decode("utf-8", errors="replace")
