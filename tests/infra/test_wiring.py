"""Wiring of the parsed configuration (python-hcl2): arguments, variables, outputs, env vars."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

import pytest

from tests.infra.conftest import ROOT
from tests.infra.hclconfig import META_ARGUMENTS, Config
from trellis import naming
from trellis.manifest import Manifest, load_manifest
from trellis.runtime import ServiceSettings


def configs(tree: Path) -> list[Config]:
    return [Config.load(tree / "terraform"), Config.load(tree / "bootstrap")]


@cache
def module_config(path: Path) -> Config:
    """A hand-written module's parsed config (they do not change during a test run)."""
    return Config.load(path)


def wiring_problems(cfg: Config) -> list[str]:
    problems: list[str] = []
    module_cfgs = {name: module_config(cfg.module_dir(name)) for name in cfg.modules}
    for name, call in cfg.modules.items():
        mod = module_cfgs[name]
        args = set(call) - META_ARGUMENTS
        problems += [
            f"module.{name}: {a} is not a variable of {call['source']}"
            for a in sorted(args - set(mod.variables))
        ]
        problems += [
            f"module.{name}: required {v} is not set"
            for v in sorted(mod.required_variables() - args)
        ]
    for name, attr in sorted(cfg.module_references(), key=str):
        if name not in cfg.modules:
            problems.append(f"module.{name} is referenced but not declared")
        elif attr is not None and attr not in module_cfgs[name].outputs:
            problems.append(
                f"module.{name}.{attr} is not an output of {cfg.modules[name]['source']}"
            )
    problems += [
        f"var.{v} is not declared in {cfg.path.name}"
        for v in sorted(cfg.referenced_variables() - set(cfg.variables))
    ]
    return problems


def test_committed_root_and_bootstrap_are_wired() -> None:
    for cfg in configs(ROOT):
        assert wiring_problems(cfg) == []


def test_every_kind_stack_is_wired(everything_tree: Path) -> None:
    for cfg in configs(everything_tree):
        assert wiring_problems(cfg) == []


@pytest.mark.parametrize(
    "module", sorted(p.name for p in (ROOT / "terraform" / "modules").iterdir())
)
def test_each_module_declares_every_variable_it_uses(module: str) -> None:
    cfg = Config.load(ROOT / "terraform" / "modules" / module)
    assert cfg.referenced_variables() <= set(cfg.variables)
    for name, spec in cfg.variables.items():
        assert "type" in spec and spec.get("description"), (
            f"{module}: var.{name} needs a type and a description"
        )
    assert tuple(
        sorted(p.name for p in (ROOT / "terraform" / "modules" / module).iterdir() if p.is_file())
    ) == ("README.md", "main.tf", "outputs.tf", "variables.tf", "versions.tf")


def test_the_checker_catches_an_undeclared_argument_and_a_missing_output(tmp_path: Path) -> None:
    (tmp_path / "terraform").mkdir()
    import shutil

    shutil.copytree(ROOT / "terraform" / "modules", tmp_path / "terraform" / "modules")
    (tmp_path / "terraform" / "main.tf").write_text(
        'module "q" {\n  source = "./modules/sqs-queue"\n  nmae = "x"\n}\n'
        'output "u" {\n  value = module.q.queue_url\n}\n'
        'output "v" {\n  value = var.nope\n}\n'
    )
    problems = wiring_problems(Config.load(tmp_path / "terraform"))
    assert "module.q: nmae is not a variable of ./modules/sqs-queue" in problems
    assert "module.q: required name is not set" in problems
    assert "module.q.queue_url is not an output of ./modules/sqs-queue" in problems
    assert "var.nope is not declared in terraform" in problems


@pytest.mark.parametrize("service", sorted(load_manifest(ROOT / "trellis.toml").services))
def test_every_setting_a_service_requires_is_set(example_manifest: Manifest, service: str) -> None:
    settings_cls: type[ServiceSettings] = importlib.import_module(
        f"{naming.service_module(service)}.settings"
    ).Settings
    required = {
        (field.validation_alias if isinstance(field.validation_alias, str) else name).upper()
        for name, field in settings_cls.model_fields.items()
        if field.is_required()
    }
    cfg = Config.load(ROOT / "terraform")
    env = cfg.modules[f"{service}_service"]["environment_variables"]
    assert required, "the settings class declares what it needs"
    assert required <= set(env), f"missing: {sorted(required - set(env))}"
