"""Request and response models of the api: explicit, validated, and documented in OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

#: Letters, digits, ``_`` and ``-``: never ``#``, which the table reserves for its own items.
USER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
#: Server-chosen file ids (uuid4 hex).
FILE_ID_PATTERN = r"^[0-9a-f]{32}$"
# The WHATWG (HTML ``input type=email``) grammar, with a dot required in the
# domain: ASCII only, so every regex engine (pydantic's, a client's, the
# fuzzer's) agrees on it. Whether the address receives mail is for a
# confirmation email to find out.
_EMAIL_PATTERN = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# A display name for the file: no control characters, no path separators.
_FILENAME_PATTERN = r"^[^\x00-\x1f\x7f/\\]+$"
_CONTENT_TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$"


def _lower(value: str) -> str:
    return value.lower()


UserId = Annotated[str, Field(pattern=USER_ID_PATTERN, examples=["ada-lovelace"])]
Email = Annotated[
    str,
    Field(max_length=254, pattern=_EMAIL_PATTERN, examples=["ada@example.com"]),
    AfterValidator(_lower),
]
Name = Annotated[str, Field(min_length=1, max_length=200, examples=["Ada Lovelace"])]
FileStatus = Literal["pending", "ready", "rejected"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class UserCreate(_Input):
    """A new user; ``user_id`` is chosen by the client and never overwritten."""

    user_id: UserId
    name: Name
    email: Email


def _name_or_email_schema(schema: dict[str, Any]) -> None:
    schema["anyOf"] = [{"required": ["name"]}, {"required": ["email"]}]
    for name in ("name", "email"):
        schema["properties"][name].pop("default", None)  # "absent", not a null default


class UserUpdate(_Input):
    """A change to name and/or email, made only if ``version`` is still the current one."""

    # Omitted means "unchanged"; an explicit null is refused (the schema says string).
    model_config = ConfigDict(json_schema_extra=_name_or_email_schema)

    name: Name | SkipJsonSchema[None] = None
    email: Email | SkipJsonSchema[None] = None
    version: int = Field(ge=1, le=2**53, description="The version the change is based on.")

    @field_validator("name", "email", mode="before")
    @classmethod
    def _no_explicit_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("omit the field to keep it unchanged")
        return value

    @model_validator(mode="after")
    def _something_to_change(self) -> UserUpdate:
        if self.name is None and self.email is None:
            raise ValueError("give name and/or email to change")
        return self


class UserPublic(BaseModel):
    """A user as clients see it."""

    user_id: str
    name: str
    email: str
    version: int = Field(description="Increases by one with every change; send it back to PATCH.")
    created_at: datetime
    updated_at: datetime


class UserPage(BaseModel):
    """One page of users, oldest first; pass ``next_cursor`` back to get the next page."""

    items: list[UserPublic]
    next_cursor: str | None


class HistoryEntry(BaseModel):
    """One change of a user, as the audit trail recorded it."""

    version: int = Field(description="The user's version the change produced.")
    action: Literal["created", "updated", "deleted"]
    changes: dict[str, Any] = Field(description="The fields the change set.")
    actor: str = Field(description="Who made the change (the verified caller's id).")
    at: datetime


class HistoryPage(BaseModel):
    """One page of a user's changes, oldest first; it outlives the user."""

    items: list[HistoryEntry]
    next_cursor: str | None


class FileCreate(_Input):
    """A file the client is about to upload."""

    filename: str = Field(min_length=1, max_length=255, pattern=_FILENAME_PATTERN)
    content_type: str = Field(
        min_length=3, max_length=127, pattern=_CONTENT_TYPE_PATTERN, examples=["image/png"]
    )
    size: int = Field(ge=1, le=2**53, description="Size of the file in bytes.")


class PresignedUpload(BaseModel):
    """Send ``fields`` and then the file (last) as ``multipart/form-data`` to ``url``."""

    method: Literal["POST"] = "POST"
    url: str
    fields: dict[str, str]
    expires_at: datetime


class FilePublic(BaseModel):
    """A file's metadata; ``download_url`` is present (and short-lived) once it is ready."""

    file_id: str
    status: FileStatus
    filename: str
    content_type: str
    max_bytes: int = Field(description="Largest size the upload may have, in bytes.")
    created_at: datetime
    size: int | None = Field(default=None, description="Stored size in bytes, once ready.")
    checksum: str | None = Field(default=None, description="`sha256:<hex>` of the stored object.")
    stored_content_type: str | None = None
    ready_at: datetime | None = None
    reason: str | None = Field(default=None, description="Why the upload was rejected.")
    download_url: str | None = None
    download_expires_at: datetime | None = None


class FileCreated(BaseModel):
    """The file record (``pending``) and how to upload its content."""

    file: FilePublic
    upload: PresignedUpload


class FilePage(BaseModel):
    """One page of files, oldest first; pass ``next_cursor`` back to get the next page."""

    items: list[FilePublic]
    next_cursor: str | None


class Caller(BaseModel):
    """The verified caller: how the gateway checked them, who they are, their scopes."""

    auth: Literal["jwt", "iam", "api_key"]
    id: str = Field(description="The token's subject, the caller's IAM ARN, or the API key's id.")
    scopes: list[str]
