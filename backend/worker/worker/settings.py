"""Settings of the worker service: what `trellis.toml` says it uses."""

from trellis.runtime import ServiceSettings


class Settings(ServiceSettings):
    jobs_queue_url: str
