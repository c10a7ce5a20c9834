from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trellis.infra import render
from trellis.manifest import Manifest, load_manifest, load_manifest_text

ROOT = Path(__file__).resolve().parents[2]
EVERYTHING = Path(__file__).resolve().parent / "stacks" / "everything.toml"


def customer_key_manifest() -> Manifest:
    """The every-kind stack with ``encryption = "customer"``: a key per environment."""
    text = EVERYTHING.read_text(encoding="utf-8")
    marker = 'environments = ["dev", "prod"]\n'
    assert marker in text
    return load_manifest_text(text.replace(marker, marker + 'encryption = "customer"\n', 1))


def write_tree(dest: Path, files: dict[str, str]) -> Path:
    """Rendered files under ``dest`` with the hand-written modules and bootstrap beside them."""
    for rel, text in files.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (dest / "terraform").mkdir(parents=True, exist_ok=True)
    (dest / "bootstrap").mkdir(parents=True, exist_ok=True)
    (dest / "terraform" / "modules").symlink_to(ROOT / "terraform" / "modules")
    for tf in (ROOT / "bootstrap").glob("*.tf"):
        if not (dest / "bootstrap" / tf.name).exists():
            shutil.copy(tf, dest / "bootstrap" / tf.name)
    return dest


@pytest.fixture(scope="session")
def example_manifest() -> Manifest:
    return load_manifest(ROOT / "trellis.toml")


@pytest.fixture(scope="session")
def everything_manifest() -> Manifest:
    return load_manifest(EVERYTHING)


@pytest.fixture(scope="session")
def customer_key_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The every-kind stack with a customer key, rendered into a scratch project."""
    return write_tree(tmp_path_factory.mktemp("customer-key"), render(customer_key_manifest()))


@pytest.fixture(scope="session")
def everything_tree(
    tmp_path_factory: pytest.TempPathFactory, everything_manifest: Manifest
) -> Path:
    """The every-kind stack rendered into a scratch project (terraform/ + bootstrap/)."""
    return write_tree(tmp_path_factory.mktemp("everything"), render(everything_manifest))


@pytest.fixture(scope="session")
def example_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch copy of the committed terraform/ and bootstrap/ (init writes .terraform/)."""
    dest = tmp_path_factory.mktemp("example")
    shutil.copytree(ROOT / "terraform", dest / "terraform")
    shutil.copytree(ROOT / "bootstrap", dest / "bootstrap")
    return dest
