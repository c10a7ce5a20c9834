"""Settings of the api service: what `trellis.toml` says it uses, plus its upload policy."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from trellis.runtime import ServiceSettings


class Settings(ServiceSettings):
    """The resources the manifest hands the api (one env var each)."""

    users_table_name: str
    files_table_name: str
    uploads_bucket_name: str
    #: The audit trail's database and the user cache. Optional: a stack whose api runs as a
    #: container (outside the private network, see docs/databases.md) has neither, and the
    #: api then keeps no history and reads users straight from DynamoDB.
    audit_database_url: str | None = None
    profiles_cache_url: str | None = None


class UploadPolicy(BaseSettings):
    """What a presigned upload may carry; env vars ``UPLOAD_MAX_BYTES``, ``UPLOAD_CONTENT_TYPES``, ...

    Kept apart from :class:`Settings`, whose fields are exactly the manifest's resources.
    """

    model_config = SettingsConfigDict(env_prefix="UPLOAD_", frozen=True, extra="ignore")

    #: Largest object a client may upload, in bytes (the policy's content-length-range cap).
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=5 * 1024**3)
    #: Content types a client may declare (compared lower-cased, parameters not allowed).
    content_types: frozenset[str] = frozenset(
        {
            "application/json",
            "application/pdf",
            "image/gif",
            "image/jpeg",
            "image/png",
            "image/webp",
            "text/csv",
            "text/plain",
        }
    )
    #: Lifetime of a presigned upload, in seconds.
    upload_expiry_s: int = Field(default=300, ge=10, le=3600)
    #: Lifetime of a presigned download URL, in seconds.
    download_expiry_s: int = Field(default=300, ge=10, le=3600)
