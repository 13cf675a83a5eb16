"""Resumable uploads of large videos: a tus 1.0 server and S3 presigned multipart uploads.

Both end the way a simple upload does: a finished upload becomes a Video through
`videos.services.video_create` (tus: the assembled file) or `video_create_from_storage`
(S3: the completed object), which validates it and starts its processing job.
"""
