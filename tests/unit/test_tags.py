"""Tags: the project's on every resource (default_tags), each resource's own plus its Name.

AWS's limits (1-128 character keys, values up to 256, its alphabet, no ``aws:`` keys,
50 tags a resource) are checked in the manifest, and the tags Trellis sets itself —
``trellis-environment`` is how each deploy role finds its own environment's resources —
cannot be replaced from it.
"""

from __future__ import annotations

import re
import textwrap

import pytest

from trellis.infra import render
from trellis.manifest import ManifestError, load_manifest_text

BASE = """
[project]
name = "acme"
region = "us-east-1"
github_repository = "acme/backend"
environments = ["dev", "prod"]
{project_tags}

[services.api]
runtime = "lambda"
route = "/api"
auth = "none"
uses = {{ jobs = "send" }}
{service_tags}

[queues.jobs]
{queue_tags}

[buckets.uploads]
tags = {{ data-class = "confidential" }}

[secrets.token]

[schedules.nightly]
expression = "rate(1 day)"
target = "jobs"
"""


def has(text: str, key: str, value: str) -> bool:
    """Whether ``key = value`` is in the HCL (a key that is not an identifier is quoted)."""
    return re.search(rf'(?m)^\s*"?{re.escape(key)}"?\s+= {re.escape(value)}$', text) is not None


def manifest(project_tags: str = "", service_tags: str = "", queue_tags: str = "") -> str:
    return textwrap.dedent(
        BASE.format(project_tags=project_tags, service_tags=service_tags, queue_tags=queue_tags)
    )


def test_project_tags_join_trellis_default_tags_on_the_provider() -> None:
    files = render(
        load_manifest_text(
            manifest(project_tags='tags = { cost-center = "cc-42", team = "Core ops" }')
        )
    )
    main = files["terraform/main.tf"]
    tags = main[main.index("tags = {") :]
    tags = tags[: tags.index("}")]
    assert has(tags, "trellis-environment", "var.environment")
    assert has(tags, "cost-center", '"cc-42"')
    assert has(tags, "team", '"Core ops"')
    assert "default_tags" in files["terraform/versions.tf"]


def test_every_resource_and_service_gets_its_name_and_own_tags() -> None:
    files = render(
        load_manifest_text(
            manifest(
                service_tags='tags = { owner = "api-team" }', queue_tags='tags = { tier = "1" }'
            )
        )
    )
    resources = [
        p
        for p in files
        if re.match(r"terraform/(queue|table|bucket|topic|secret|parameter|schedule)_", p)
    ]
    assert len(resources) == 4
    for path in resources:
        assert re.search(r'Name\s+= "', files[path]), path
    assert re.search(
        r'Name\s+= "acme-\$\{var.environment\}-jobs"', files["terraform/queue_jobs.tf"]
    )
    assert re.search(r'tier\s+= "1"', files["terraform/queue_jobs.tf"])
    assert has(files["terraform/bucket_uploads.tf"], "data-class", '"confidential"')
    assert re.search(
        r'Name\s+= "acme/\$\{var.environment\}/token"', files["terraform/secret_token.tf"]
    )
    service = files["terraform/service_api.tf"]
    assert re.search(r'Name\s+= "acme-\$\{var.environment\}-api"', service)
    assert re.search(r'owner\s+= "api-team"', service)


def test_a_tag_value_is_a_literal_never_a_terraform_expression() -> None:
    files = render(load_manifest_text(manifest(queue_tags='tags = { note = "a@b.c" }')))
    assert re.search(r'note\s+= "a@b.c"', files["terraform/queue_jobs.tf"])
    with pytest.raises(ManifestError, match=r"queues\.jobs\.tags\.note: a tag value has letters"):
        load_manifest_text(manifest(queue_tags='tags = { note = "${var.region}" }'))


@pytest.mark.parametrize(
    ("kwargs", "key", "fragment"),
    [
        # The deploy roles reach an environment's resources by this tag: never replaceable.
        (
            {"project_tags": 'tags = { trellis-environment = "prod" }'},
            "project.tags.trellis-environment",
            "Trellis sets 'trellis-environment' itself",
        ),
        (
            {"queue_tags": 'tags = { trellis-environment = "prod" }'},
            "queues.jobs.tags.trellis-environment",
            "Trellis sets 'trellis-environment' itself",
        ),
        (
            {"service_tags": 'tags = { managed-by = "me" }'},
            "services.api.tags.managed-by",
            "Trellis sets 'managed-by' itself",
        ),
        ({"queue_tags": 'tags = { Name = "jobs" }'}, "queues.jobs.tags.Name", "Trellis sets Name"),
        ({"project_tags": 'tags = { "aws:cost" = "x" }'}, "project.tags.aws:cost", "'aws:'"),
        ({"project_tags": 'tags = { "AWS:cost" = "x" }'}, "project.tags.AWS:cost", "'aws:'"),
        ({"project_tags": 'tags = { "" = "x" }'}, "project.tags.", "1-128 characters"),
        (
            {"project_tags": f'tags = {{ {"k" * 129} = "x" }}'},
            f"project.tags.{'k' * 129}",
            "1-128 characters",
        ),
        (
            {"project_tags": f'tags = {{ k = "{"v" * 257}" }}'},
            "project.tags.k",
            "at most 256 characters",
        ),
        ({"project_tags": 'tags = { "a*b" = "x" }'}, "project.tags.a*b", "letters, digits"),
        ({"queue_tags": 'tags = { k = "semi;colon" }'}, "queues.jobs.tags.k", "letters, digits"),
        (
            {
                "project_tags": "tags = { " + ", ".join(f'p{i} = "v"' for i in range(40)) + " }",
                "queue_tags": "tags = { " + ", ".join(f'q{i} = "v"' for i in range(7)) + " }",
            },
            "queues.jobs.tags",
            "51 tags with Trellis's and the project's: AWS allows 50",
        ),
    ],
)
def test_tag_mistakes_are_one_line_naming_the_key(
    kwargs: dict[str, str], key: str, fragment: str
) -> None:
    with pytest.raises(ManifestError) as exc:
        load_manifest_text(manifest(**kwargs))
    assert exc.value.key == key, str(exc.value)
    assert fragment in str(exc.value)


def test_unicode_letters_and_aws_punctuation_are_allowed() -> None:
    load_manifest_text(
        manifest(project_tags='tags = { "équipe" = "Données", "a_b.c:d/e=f+g-h@i" = "x y" }')
    )
