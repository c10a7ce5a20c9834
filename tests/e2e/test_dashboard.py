"""The dashboard in a real browser (Debian's chromium, driven by Playwright), and `trellis invoke`.

One `trellis dev` serves the whole module. Each test loads a page, acts through the
gateway, the emulator or the page's own buttons, and waits for the page to change
without reloading it. Each page's screenshot is saved under /tmp/dashboard-shots/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import emulator_clients
from trellis.testing import DevProcess, wait_until

pytestmark = pytest.mark.e2e

STACK = Path(__file__).parent / "stacks" / "dashboard" / "trellis.toml"
#: Debian's chromium (`make browser`); TRELLIS_CHROMIUM, or a Chrome where there is one instead.
CHROMIUM = os.environ.get("TRELLIS_CHROMIUM") or next(
    (p for p in ("/usr/bin/chromium", "/usr/bin/google-chrome") if Path(p).exists()),
    "/usr/bin/chromium",
)
SHOTS = Path(os.environ.get("TRELLIS_DASHBOARD_SHOTS", "/tmp/dashboard-shots"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: How long a page may take to show what just happened (it refreshes every second).
LIVE_MS = 20_000


@pytest.fixture(scope="module")
def dev() -> Iterator[DevProcess]:
    with DevProcess(STACK, ready_timeout_s=90) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert not errors, f"the page's script failed: {errors}"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def api(dev: DevProcess) -> httpx.Client:
    return httpx.Client(base_url=dev.base_url, headers=dev.bearer(), timeout=20)


def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def test_the_architecture_page_draws_the_manifest_with_access_on_every_edge(
    dev: DevProcess, page: Any
) -> None:
    page.goto(f"{dev.base_url}/_trellis/")
    for name in ("gateway", "api", "worker", "jobs", "users", "uploads", "nightly"):
        expect()(page.locator(f"svg.arch g.node[data-name='{name}']")).to_be_visible()
    edges = page.locator("table.edges")
    expect()(edges).to_contain_text("consume+send; event source, batch 10")
    expect()(edges).to_contain_text("get+put")  # the api's access to users
    expect()(edges).to_contain_text("s3:ObjectCreated:* (prefix uploads/)")  # a notification
    expect()(edges).to_contain_text("rate(1 day)")  # the schedule
    expect()(page.locator("table.services")).to_contain_text("running")
    shot(page, "architecture")


def test_the_requests_page_shows_a_request_as_it_arrives(dev: DevProcess, page: Any) -> None:
    page.goto(f"{dev.base_url}/_trellis/requests")
    path = f"/api/users/{uuid.uuid4().hex[:8]}"
    expect()(page.locator("#live")).not_to_contain_text(path)
    with api(dev) as client:
        assert client.get(path).status_code == 404
    row = page.locator("table.requests tr", has_text=path)
    expect()(row).to_contain_text("GET", timeout=LIVE_MS)
    expect()(row).to_contain_text("404")
    expect()(row).to_contain_text("api")
    expect()(row).to_contain_text("dev-user")  # the caller the gateway verified
    shot(page, "requests")


def test_the_jobs_page_follows_a_job_and_runs_the_schedule_on_a_click(
    dev: DevProcess, page: Any
) -> None:
    page.goto(f"{dev.base_url}/_trellis/jobs")
    with api(dev) as client:
        queued = client.post("/worker/jobs", json={"type": "process_data", "payload": {"k": 1}})
        assert queued.status_code == 202, queued.text
    jobs = page.locator("table.jobs")
    expect()(jobs.locator("tr", has_text="process_data").first).to_contain_text(
        "succeeded", timeout=LIVE_MS
    )
    before = jobs.locator("tbody tr").count()

    page.get_by_role("button", name="Run nightly now").click()
    result = page.locator("#event-result")
    expect()(result).to_contain_text('"status": "succeeded"', timeout=LIVE_MS)
    expect()(result).to_contain_text('"schedule": "nightly"')
    expect()(jobs.locator("tbody tr")).to_have_count(before + 1, timeout=LIVE_MS)
    shot(page, "jobs")


def test_the_queues_page_peeks_without_receiving_and_redrives_the_dlq_in_one_click(
    dev: DevProcess, page: Any
) -> None:
    sqs, _ = emulator_clients(dev.emulator_endpoint)
    dlq = sqs.get_queue_url(QueueName="dash-dev-jobs-dlq")["QueueUrl"]
    page.goto(f"{dev.base_url}/_trellis/queues")
    row = page.locator("table.queues tr", has_text="dash-dev-jobs")
    expect()(row.locator(".n.dlq")).to_have_text("0", timeout=LIVE_MS)
    for i in range(2):
        sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"poison": i}))
    expect()(row.locator(".n.dlq")).to_have_text("2", timeout=LIVE_MS)

    page.get_by_role("button", name="Peek DLQ").click()
    peeked = page.locator("#peek table.peeked")
    expect()(peeked).to_contain_text('{"poison": 0}', timeout=LIVE_MS)
    expect()(peeked.locator("tbody tr")).to_have_count(2)
    # Peeking received nothing: both still visible, never received.
    attrs = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "2"
    expect()(peeked).to_contain_text("visible")
    shot(page, "queues")

    page.get_by_role("button", name="Redrive DLQ").click()
    expect()(page.locator("#toast")).to_contain_text("moved 2 message(s) back", timeout=LIVE_MS)
    # Back in the main queue, they are received at once; the DLQ is empty until they fail
    # twice (the queue's visibility timeout is 6 s, so that takes longer than this check).
    expect()(row.locator(".n.dlq")).to_have_text("0", timeout=5_000)
    shot(page, "queues-redriven")


def test_an_iam_denial_shows_with_the_manifest_change_that_grants_it(
    dev: DevProcess, page: Any
) -> None:
    page.goto(f"{dev.base_url}/_trellis/iam")
    with api(dev) as client:
        listed = client.get("/api/users")
    assert listed.status_code == 500
    assert listed.json()["error"]["code"] == "access_denied"
    row = page.locator("table.denials tr", has_text="dynamodb:Query")
    expect()(row).to_contain_text("api", timeout=LIVE_MS)
    expect()(row).to_contain_text("table/dash-dev-users")
    expect()(row.locator("code.fix")).to_have_text(
        'services.api.uses.users = ["get", "put", "read"]'
    )
    expect()(row.locator("code.command")).to_have_text("trellis add table users --read api")
    shot(page, "iam")


def test_a_trace_shows_gateway_service_aws_calls_queue_and_worker_as_a_waterfall(
    dev: DevProcess, page: Any
) -> None:
    with api(dev) as client:
        queued = client.post("/worker/jobs", json={"type": "process_data", "payload": {"t": 1}})
    assert queued.status_code == 202
    job_id = queued.json()["job_id"]
    page.goto(f"{dev.base_url}/_trellis/traces")
    link = page.locator("table.traces a.trace", has_text="POST /worker/jobs").first
    expect()(link).to_be_visible(timeout=LIVE_MS)
    shot(page, "traces")

    # The job's trace: wait until the worker's processing span has arrived too.
    with api(dev) as client:
        wait_until(
            lambda: client.get(f"/worker/jobs/{job_id}").json()["status"] == "succeeded",
            timeout_s=20,
            what="the job to succeed",
        )
    link.click()
    waterfall = page.locator(".waterfall")
    expect()(waterfall).to_contain_text("jobs process", timeout=LIVE_MS)
    for expected in (
        "POST /worker/jobs",  # the gateway's span
        "POST /jobs",  # the worker's route (FastAPI)
        "DynamoDB.PutItem",  # an AWS call of the route
        "SQS.SendMessage",
        "jobs (in the queue)",  # the message's time in the queue
        "DynamoDB.TransactWriteItems",  # an AWS call of the worker processing the job
    ):
        expect()(waterfall).to_contain_text(expected)
    services = {
        page.locator(".span-row").nth(i).get_attribute("data-service")
        for i in range(page.locator(".span-row").count())
    }
    assert {"gateway", "worker", "sqs"} <= services
    shot(page, "trace")


def test_the_logs_page_filters_by_service_and_text(dev: DevProcess, page: Any) -> None:
    page.goto(f"{dev.base_url}/_trellis/logs")
    page.select_option("select[name=service]", "worker")
    page.fill("input[name=q]", "job.succeeded")
    lines = page.locator(".log-line")
    expect()(lines.first).to_contain_text("job.succeeded", timeout=LIVE_MS)
    count = lines.count()
    assert count >= 1
    for i in range(count):
        line = lines.nth(i)
        assert line.locator(".log-service").inner_text() == "worker"
        assert "job.succeeded" in line.inner_text()
    assert "service=worker" in page.url and "q=job.succeeded" in page.url
    shot(page, "logs")


def test_the_data_page_counts_items_and_shows_the_first_ones(dev: DevProcess, page: Any) -> None:
    page.goto(f"{dev.base_url}/_trellis/data?table=users")
    user = f"u-{uuid.uuid4().hex[:8]}"
    with api(dev) as client:
        created = client.post(
            "/api/users", json={"user_id": user, "name": "Grace", "email": f"{user}@example.com"}
        )
        assert created.status_code == 201, created.text
    expect()(page.locator(".items")).to_contain_text(user, timeout=LIVE_MS)
    row = page.locator("table.tables tr", has_text="dash-dev-users")
    expect()(row.locator(".n")).not_to_have_text("0")
    expect()(page.locator("table.buckets")).to_contain_text("dash-dev-uploads")
    shot(page, "data")


def test_the_dashboard_refuses_actions_without_its_header_and_other_hosts(dev: DevProcess) -> None:
    url = f"{dev.base_url}/_trellis/api/queues/jobs/redrive"
    assert httpx.post(url).status_code == 403
    assert (
        httpx.post(
            url, headers={"x-trellis-dashboard": "1", "origin": "http://evil.example"}
        ).status_code
        == 403
    )
    page = httpx.get(f"{dev.base_url}/_trellis/", headers={"host": "evil.example:8000"})
    assert page.status_code == 403


# --- `trellis invoke` ----------------------------------------------------------------------


def invoke(dev: DevProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trellis", "--manifest", str(STACK), "invoke", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_invoke_sqs_sends_one_message_through_the_event_source(dev: DevProcess) -> None:
    body = json.dumps({"type": "process_data", "payload": {"from": "cli"}})
    done = invoke(dev, "worker", "--event", "sqs", "--body", body)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sqs → worker via queue jobs: succeeded" in done.stdout
    assert "/_trellis/traces/" in done.stdout


def test_invoke_a_schedule_delivers_its_payload_to_its_target_queue(dev: DevProcess) -> None:
    done = invoke(dev, "worker", "--event", "schedule", "--schedule", "nightly")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "schedule → worker via queue jobs: succeeded" in done.stdout


# --- `trellis schedule run` -------------------------------------------------------------------


def schedule(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trellis", "--manifest", str(STACK), "schedule", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_schedule_run_invokes_the_lambda_worker_whose_registered_handler_queues_jobs(
    dev: DevProcess,
) -> None:
    done = schedule("run", "queue_jobs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "schedules.queue_jobs → function worker: invoked" in done.stdout
    returned = json.loads(done.stdout.split("returned: ", 1)[1])
    assert returned["schedule"] == "queue_jobs"
    job_ids = returned["result"]["queued"]
    assert len(job_ids) == 2  # the manifest's payload: count = 2
    with api(dev) as client:
        for job_id in job_ids:
            record = wait_until(
                lambda job_id=job_id: (
                    r
                    if (r := client.get(f"/worker/jobs/{job_id}").json()).get("status")
                    == "succeeded"
                    else None
                ),
                timeout_s=30,
            )
            # The handler saw the typed payload and the scheduler's context.
            assert record["type"] == "process_data"


def test_schedule_run_sends_a_queue_targets_payload_as_the_message_body(dev: DevProcess) -> None:
    done = schedule("run", "nightly")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "schedules.nightly → queue jobs: succeeded" in done.stdout


def test_schedule_run_of_an_unknown_schedule_is_one_line_naming_the_known_ones(
    dev: DevProcess,
) -> None:
    done = schedule("run", "weekly")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "unknown schedule 'weekly'" in done.stderr and "queue_jobs" in done.stderr


def test_invoke_s3_uploads_and_the_notification_reaches_the_worker(
    dev: DevProcess, tmp_path: Path
) -> None:
    content = tmp_path / "hello.bin"
    content.write_bytes(b"\x00\xffhello")  # any bytes, not only text
    key = f"uploads/{uuid.uuid4().hex}.txt"
    done = invoke(dev, "worker", "--event", "s3", "--key", key, "--file", str(content))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "s3 → worker via queue jobs: succeeded" in done.stdout
    # Without --file the object now exists: its notification is sent again, built as S3 does.
    again = invoke(dev, "worker", "--event", "s3", "--key", key)
    assert again.returncode == 0, again.stdout + again.stderr


def test_invoke_says_what_to_change_when_the_event_cannot_be_sent(dev: DevProcess) -> None:
    missing = invoke(dev, "worker", "--event", "s3", "--key", "uploads/none.txt")
    assert missing.returncode == 2
    assert "no object" in missing.stderr and "--file" in missing.stderr
    outside = invoke(dev, "worker", "--event", "s3", "--key", "elsewhere/x.txt", "--file", __file__)
    assert outside.returncode == 2
    assert "S3 would send no event" in outside.stderr
    nothing = invoke(dev, "api", "--event", "sqs", "--body", "{}")
    assert nothing.returncode == 2
    assert "no consumed queue for this service" in nothing.stderr


def test_a_jobs_status_url_through_the_local_gateway_is_the_route_without_a_stage(
    dev: DevProcess,
) -> None:
    # In AWS the same handler answers /live/worker/jobs/<id> (tests/unit/runtime/test_public_prefix.py).
    with api(dev) as client:
        queued = client.post("/worker/jobs", json={"type": "process_data", "payload": {}})
        assert queued.status_code == 202, queued.text
        status_url = queued.json()["status_url"]
        assert status_url == f"/worker/jobs/{queued.json()['job_id']}"
        assert client.get(status_url).status_code == 200
