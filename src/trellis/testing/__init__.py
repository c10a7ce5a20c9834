"""Test helpers shipped with Trellis: emulator fixtures and a `trellis dev` runner.

The pytest plugin (registered as ``trellis``) gives every project these fixtures:

- ``trellis_emulator``: an IAM-enforcing moto server on a free loopback port for the session;
- ``trellis_service``: ``trellis_service("api")`` provisions the manifest under a fresh
  project name and sets the service's env vars, with its own least-privilege key;
  it returns a :class:`ServiceEnvironment`;
- ``unique_name``: ``unique_name("jobs")`` → ``"jobs-1f2e3d4c"``, so tests never collide;
- ``emulator_env``: points boto3 (and the runtime's settings) at the emulator as administrator;
- ``trellis_database`` / ``trellis_cache``: a test's own database (a clone of a template the
  services' migrations built once per session) / its own empty Valkey index, on real servers
  the session starts on first use (``trellis_servers``); ``trellis_service`` uses them too.

:class:`DevProcess` runs ``trellis dev`` as a subprocess for end-to-end tests, and calls
its routes as their ``auth`` requires: ``dev.bearer()`` (a development token, also
:func:`dev_token`), ``dev.api_key()``, ``auth=dev.invoker()`` (:class:`SigV4`).

:class:`AnswerDroppingProxy` sits between code and the emulator and loses the answer of a
chosen call after the emulator applied it, so a test proves that a conditional write the
SDK retries is not mistaken for someone else's.
"""

from trellis.testing._auth import SigV4, dev_token
from trellis.testing._dev_process import DevProcess
from trellis.testing._lost_answers import AnswerDroppingProxy
from trellis.testing._service import ServiceEnvironment
from trellis.testing._wait import wait_until

__all__ = [
    "AnswerDroppingProxy",
    "DevProcess",
    "ServiceEnvironment",
    "SigV4",
    "dev_token",
    "wait_until",
]
