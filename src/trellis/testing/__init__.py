"""Test helpers shipped with Trellis: an emulator fixture and a `trellis dev` runner.

The pytest plugin (registered as ``trellis``) gives every project these fixtures:

- ``trellis_emulator``: a moto server on a free loopback port for the session;
- ``unique_name``: ``unique_name("jobs")`` → ``"jobs-1f2e3d4c"``, so tests never collide;
- ``emulator_env``: points boto3 (and the runtime's settings) at the emulator.

:class:`DevProcess` runs ``trellis dev`` as a subprocess for end-to-end tests.
"""

from trellis.testing._dev_process import DevProcess
from trellis.testing._wait import wait_until

__all__ = ["DevProcess", "wait_until"]
