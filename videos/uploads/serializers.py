"""API representations of upload sessions."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from videos.models import DESCRIPTION_MAX_LENGTH
from videos.uploads.models import TusUpload
from videos.uploads.s3 import MAX_PARTS
from videos.uploads.selectors import tus_upload_offset


class TusUploadSerializer(serializers.ModelSerializer):
    offset = serializers.SerializerMethodField(help_text="Bytes received so far.")
    video_id = serializers.UUIDField(read_only=True, allow_null=True)
    job_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = TusUpload
        fields = [
            *("id", "offset", "length", "status", "video_id", "job_id", "expires_at", "error"),
            *("filename", "title", "created_at", "completed_at"),
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_offset(self, upload: TusUpload) -> int:
        return tus_upload_offset(upload)


class MultipartCreateSerializer(serializers.Serializer):
    filename = serializers.CharField(max_length=1024, help_text="The file's name, e.g. beach.mp4.")
    size = serializers.IntegerField(min_value=0, help_text="The file's size in bytes.")
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class PartUrlSerializer(serializers.Serializer):
    part_number = serializers.IntegerField()
    url = serializers.URLField(help_text="PUT the part's bytes here; keep the ETag it answers.")
    size = serializers.IntegerField(
        help_text="Send exactly this many bytes: the URL's signature covers Content-Length."
    )


class UploadedPartSerializer(serializers.Serializer):
    part_number = serializers.IntegerField()
    etag = serializers.CharField(max_length=256)
    size = serializers.IntegerField()


class MultipartUploadSerializer(serializers.Serializer):
    upload_id = serializers.UUIDField(source="upload.pk")
    video_id = serializers.UUIDField(source="upload.video_id")
    status = serializers.CharField(source="upload.status")
    size = serializers.IntegerField(source="upload.size")
    part_size = serializers.IntegerField(source="upload.part_size")
    part_count = serializers.IntegerField(source="upload.part_count")
    expires_at = serializers.DateTimeField(source="upload.expires_at")
    error = serializers.CharField(source="upload.error")
    job_id = serializers.UUIDField(source="upload.job_id", allow_null=True)
    parts = PartUrlSerializer(many=True, help_text="Presigned URLs of the parts still to send.")
    uploaded_parts = UploadedPartSerializer(
        many=True, required=False, help_text="Parts S3 has received (GET only)."
    )


class CompletedPartSerializer(serializers.Serializer):
    part_number = serializers.IntegerField(min_value=1, max_value=MAX_PARTS)
    etag = serializers.CharField(
        max_length=256, help_text="The ETag header S3 answered the PUT with."
    )


class MultipartCompleteSerializer(serializers.Serializer):
    parts = CompletedPartSerializer(many=True, allow_empty=False, max_length=MAX_PARTS)


class MultipartCompletedSerializer(serializers.Serializer):
    upload_id = serializers.UUIDField()
    video_id = serializers.UUIDField()
    processing_job_id = serializers.UUIDField(allow_null=True)
    status = serializers.CharField(help_text="The video's status.")
    message = serializers.CharField()
