"""Settings of the api service: what `trellis.toml` says it uses."""

from trellis.runtime import ServiceSettings


class Settings(ServiceSettings):
    users_table_name: str
    files_table_name: str
    uploads_bucket_name: str
    jobs_queue_url: str
