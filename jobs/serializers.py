"""Job API payloads: the job, its compact status, submissions, job types and statistics."""

from typing import Any

from django.http import HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.media import media_url
from config.parsers import loads_strict
from jobs import storage
from jobs.models import ProcessingJob
from jobs.registry import JobType


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "properties": {"type": {"type": "string"}, "id": {"type": "string"}},
    }
)
class TargetField(serializers.Field):
    """The job's target object as `{"type": "app_label.model", "id": "<pk>"}`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, job: ProcessingJob) -> dict[str, str] | None:
        content_type = job.target_content_type
        if content_type is None:
            return None
        return {
            "type": f"{content_type.app_label}.{content_type.model}",
            "id": job.target_object_id,
        }


class JobSerializer(serializers.ModelSerializer):
    target = TargetField()
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    is_final = serializers.BooleanField(read_only=True)
    traceback = serializers.SerializerMethodField(help_text="Shown to staff only.")
    result = serializers.SerializerMethodField(
        help_text="What the job returned; each stored output carries a signed, expiring `url`."
    )

    class Meta:
        model = ProcessingJob
        fields = [
            "id",
            "job_type",
            "status",
            "progress",
            "progress_message",
            "priority",
            "queue",
            "params",
            "result",
            "error",
            "traceback",
            "attempts",
            "max_attempts",
            "celery_task_id",
            "worker",
            "created_by",
            "target",
            "retry_of",
            "created_at",
            "queued_at",
            "started_at",
            "completed_at",
            "heartbeat_at",
            "next_attempt_at",
            "cancel_requested_at",
            "duration_seconds",
            "is_final",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_result(self, job: ProcessingJob) -> Any:
        return with_output_urls(job, self.context.get("request"))

    def get_traceback(self, job: ProcessingJob) -> str:
        request = self.context.get("request")
        # Stack traces describe our internals: for operators, not for end users.
        return job.traceback if request is not None and request.user.is_staff else ""


def with_output_urls(job: ProcessingJob, request: HttpRequest | None) -> Any:
    """Return the job's result with a fresh signed URL on each of its stored outputs.

    URLs are made per request (for the requester, expiring), never stored in the result.
    """
    result = job.result
    if not isinstance(result, dict) or not isinstance(result.get("outputs"), list):
        return result
    own = f"{storage.OUTPUTS_ROOT}/{job.pk}/"
    outputs = []
    for output in result["outputs"]:
        name = output.get("name") if isinstance(output, dict) else None
        if isinstance(name, str) and name.startswith(own):
            user = getattr(request, "user", None)
            output = {**output, "url": media_url(name, user=user, request=request)}
        outputs.append(output)
    return {**result, "outputs": outputs}


class JobStatusSerializer(serializers.ModelSerializer):
    message = serializers.CharField(source="progress_message", read_only=True)
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    is_final = serializers.BooleanField(read_only=True)

    class Meta:
        model = ProcessingJob
        fields = [
            "id",
            "status",
            "progress",
            "message",
            "attempts",
            "max_attempts",
            "next_attempt_at",
            "error",
            "duration_seconds",
            "is_final",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.OBJECT)
class ParamsField(serializers.Field):
    """A JSON object: an object in a JSON body, or a JSON string in a multipart form."""

    default_error_messages = {
        "invalid_json": 'Not valid JSON ({error}); send an object such as {{"seconds": 2}}.',
        "not_object": 'Must be a JSON object such as {{"seconds": 2}}.',
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, str):
            try:
                data = loads_strict(data) if data.strip() else {}
            except ValueError as exc:
                self.fail("invalid_json", error=exc)
        if not isinstance(data, dict):
            self.fail("not_object")
        return data

    def to_representation(self, value: dict[str, Any]) -> dict[str, Any]:
        return value


class JobCreateSerializer(serializers.Serializer):
    job_type = serializers.CharField(max_length=64, help_text="See GET /api/v1/jobs/types/.")
    params = ParamsField(required=False, default=dict)
    file = serializers.FileField(required=False, help_text="For job types taking one file.")
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=20,
        help_text="For job types taking one or more files.",
    )

    def validated_files(self) -> list:
        data = self.validated_data
        return ([data["file"]] if data.get("file") else []) + list(data.get("files") or [])


class JobCancelSerializer(serializers.Serializer):
    force = serializers.BooleanField(
        default=False, help_text="Staff only: stop a running job now (terminate its task)."
    )


# --- Job types: a summary of each params serializer, enough to build a form -----------

_FIELD_TYPES: list[tuple[type, str]] = [
    (serializers.BooleanField, "boolean"),
    (serializers.IntegerField, "integer"),
    (serializers.FloatField, "number"),
    (serializers.DecimalField, "number"),
    (serializers.MultipleChoiceField, "multiple_choice"),
    (serializers.ChoiceField, "choice"),
    (serializers.EmailField, "email"),
    (serializers.URLField, "url"),
    (serializers.DateTimeField, "datetime"),
    (serializers.DateField, "date"),
    (serializers.CharField, "string"),
    (serializers.ListField, "array"),
    (serializers.ListSerializer, "array"),
    (serializers.DictField, "object"),
    (serializers.JSONField, "json"),
    (serializers.Serializer, "object"),
]


def _field_type(field: serializers.Field) -> str:
    return next((name for cls, name in _FIELD_TYPES if isinstance(field, cls)), "string")


def _first_set(field: serializers.Field, *names: str) -> Any:
    return next((v for n in names if (v := getattr(field, n, None)) is not None), None)


def field_summary(name: str, field: serializers.Field) -> dict[str, Any]:
    """Describe one params field: type, required, default, bounds, choices, items."""
    default = None if field.default is serializers.empty else field.default
    summary: dict[str, Any] = {
        "name": name,
        "type": _field_type(field),
        "required": field.required,
        "default": default() if callable(default) else default,
        "min": _first_set(field, "min_value", "min_length"),
        "max": _first_set(field, "max_value", "max_length"),
        "help_text": str(field.help_text or ""),
    }
    if isinstance(field, serializers.ChoiceField):
        summary["choices"] = list(field.choices)
    if isinstance(field, serializers.ListField):
        summary["items"] = field_summary("items", field.child)
    if isinstance(field, serializers.ListSerializer):
        summary["items"] = field_summary("items", field.child)
    if isinstance(field, serializers.Serializer):
        summary["fields"] = [field_summary(n, f) for n, f in field.fields.items()]
    return summary


def job_type_summary(spec: JobType, *, user: Any = None) -> dict[str, Any]:
    """What a client needs to offer a job type: name, description, files, params fields.

    The fields are those `user` gets (a type may allow non-staff accounts less).
    """
    fields: list[dict[str, Any]] = []
    if spec.params_serializer is not None:
        for name, field in spec.params_serializer(context={"user": user}).fields.items():
            if name == "files" and spec.accepts_files != "none":
                continue  # filled from the uploads
            if not field.read_only:
                fields.append(field_summary(name, field))
    return {
        "name": spec.name,
        "description": spec.description,
        "accepts_files": spec.accepts_files,
        "queue": spec.queue,
        "max_attempts": spec.max_attempts,
        "fields": fields,
    }


class JobTypeFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField(help_text="boolean, integer, number, string, choice, array, ...")
    required = serializers.BooleanField()
    default = serializers.JSONField(allow_null=True)
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)
    help_text = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField(), required=False)
    items = serializers.DictField(required=False, help_text="For arrays: the item's summary.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # `fields` is taken by the Serializer API, so this one is added here.
        fields["fields"] = serializers.ListField(
            child=serializers.DictField(), required=False, help_text="For nested objects."
        )
        return fields


class JobTypeSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    accepts_files = serializers.ChoiceField(choices=["none", "one", "many"])
    queue = serializers.CharField()
    max_attempts = serializers.IntegerField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # `fields` is taken by the Serializer API, so this one is added here.
        fields["fields"] = JobTypeFieldSerializer(many=True)
        return fields


class QueueStatisticsSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=["all", "own"])
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_type = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))
    by_queue = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))
    oldest_pending_age_seconds = serializers.FloatField(allow_null=True)
    oldest_queued_age_seconds = serializers.FloatField(allow_null=True)
    completed_last_hour = serializers.IntegerField()
    failed_last_hour = serializers.IntegerField()
    broker_queue_depths = serializers.DictField(
        child=serializers.IntegerField(allow_null=True),
        allow_null=True,
        help_text="Messages waiting per queue (staff only; null per queue if unknown).",
    )
    generated_at = serializers.DateTimeField()
