"""The local gateway enforces each route's auth as API Gateway does (fakes, no network).

Each test here fails on a gateway that forwards every request (the gateway before
`auth` existed answered 200 to all of them).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.unit.test_local_gateway import FakeFunction, request

from trellis.local.auth import (
    DevIssuer,
    LocalIdentity,
    SigV4Verifier,
    invoker_policy,
    issuer_url,
)
from trellis.local.gateway import Gateway, GatewayAuth, Route

ISSUER = issuer_url("http://gw")
INVOKER = LocalIdentity(
    "arn:aws:iam::123456789012:user/acme-dev-invoker",
    "AKIAINVOKER",
    "invoker-secret",
    (invoker_policy("us-east-1", "123456789012", "dev"),),
)
# A service's own key: its policy has no execute-api:Invoke.
SERVICE = LocalIdentity(
    "arn:aws:iam::123456789012:user/acme-dev-api",
    "AKIASERVICE",
    "service-secret",
    ({"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]},),
)


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> DevIssuer:
    return DevIssuer(tmp_path_factory.mktemp("auth"))


@pytest.fixture
def api() -> FakeFunction:
    return FakeFunction("api")


@pytest.fixture
def gw(issuer: DevIssuer, api: FakeFunction) -> Gateway:
    auth = GatewayAuth(
        issuer=issuer,
        issuer_url=ISSUER,
        jwt={"api": issuer.verifier(ISSUER, ["acme-web"])},
        api_keys={"the-key": "acme-dev-partners"},
        sigv4=SigV4Verifier(
            [INVOKER, SERVICE], region="us-east-1", account_id="123456789012", stage="dev"
        ),
    )
    rules = (("/jobs/process", "iam"), ("/partners", "api_key"), ("", "jwt"))
    return Gateway(
        [Route("/api", "api", function=api, auth=rules)],  # type: ignore[arg-type]
        stage="dev",
        log=lambda _n, _l: None,
        auth=auth,
    )


def token(dev: DevIssuer, /, **kwargs: Any) -> str:
    options: dict[str, Any] = {"issuer": ISSUER, "audience": ["acme-web"], "subject": "u-1"}
    options.update(kwargs)
    return dev.mint(**options)


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


def assert_refused(resp: httpx.Response, status: int, fragment: str) -> None:
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["code"] == {401: "unauthorized", 403: "forbidden"}[status]
    assert fragment in error["message"]
    assert error["request_id"]


# --- jwt ----------------------------------------------------------------------------------


def test_a_jwt_route_without_a_token_is_401_and_the_service_is_not_called(
    gw: Gateway, api: FakeFunction
) -> None:
    assert_refused(request(gw, "GET", "/api/users"), 401, "missing bearer token")
    assert api.events == []


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        pytest.param(lambda i: token(i, ttl_s=-120), "token expired", id="expired"),
        pytest.param(lambda i: token(i, audience=["other-app"]), "another audience", id="audience"),
        pytest.param(
            lambda i: token(i, issuer="http://evil/_trellis"), "another issuer", id="issuer"
        ),
        pytest.param(lambda i: token(i)[:-6] + "AAAAAA", "signature", id="tampered"),
        pytest.param(lambda _i: "not.a.jwt", "malformed", id="garbage"),
    ],
)
def test_a_bad_or_expired_token_is_401(
    gw: Gateway, issuer: DevIssuer, make: Any, fragment: str
) -> None:
    assert_refused(request(gw, "GET", "/api/users", headers=bearer(make(issuer))), 401, fragment)


def test_a_token_of_another_key_is_401(gw: Gateway, tmp_path: Path) -> None:
    stranger = DevIssuer(tmp_path)
    resp = request(gw, "GET", "/api/users", headers=bearer(token(stranger)))
    assert_refused(resp, 401, "unknown key")


def test_a_basic_auth_header_is_not_a_bearer_token(gw: Gateway) -> None:
    resp = request(gw, "GET", "/api/users", headers={"authorization": "Basic dTpw"})
    assert_refused(resp, 401, "not a bearer token")


def test_a_valid_token_reaches_the_function_with_the_claims_in_the_authorizer_context(
    gw: Gateway, issuer: DevIssuer, api: FakeFunction
) -> None:
    resp = request(gw, "GET", "/api/users", headers=bearer(token(issuer, scopes=["users:read"])))
    assert resp.status_code == 200
    authorizer = api.events[0]["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "u-1"
    assert authorizer["scope"] == "users:read"
    assert json.loads(authorizer["claims"])["aud"] == "acme-web"


def test_health_is_open_and_ready_is_not(gw: Gateway) -> None:
    assert request(gw, "GET", "/api/health").status_code == 200
    assert_refused(request(gw, "GET", "/api/ready"), 401, "missing bearer token")


def test_the_development_issuer_serves_its_key_set(gw: Gateway, issuer: DevIssuer) -> None:
    jwks = request(gw, "GET", "/_trellis/jwks.json").json()
    assert jwks["keys"][0]["kid"] == issuer.kid
    discovery = request(gw, "GET", "/_trellis/.well-known/openid-configuration").json()
    assert discovery["issuer"] == ISSUER
    assert discovery["jwks_uri"] == "http://gw/_trellis/jwks.json"


# --- api_key ------------------------------------------------------------------------------


def test_an_api_key_route_without_or_with_a_wrong_key_is_403(
    gw: Gateway, api: FakeFunction
) -> None:
    assert_refused(request(gw, "GET", "/api/partners/feed"), 403, "x-api-key")
    wrong = request(gw, "GET", "/api/partners/feed", headers={"x-api-key": "guess"})
    assert_refused(wrong, 403, "x-api-key")
    assert api.events == []


def test_an_api_key_route_with_the_key_passes_its_id(gw: Gateway, api: FakeFunction) -> None:
    resp = request(gw, "GET", "/api/partners/feed", headers={"x-api-key": "the-key"})
    assert resp.status_code == 200
    assert api.events[0]["requestContext"]["identity"]["apiKeyId"] == "acme-dev-partners"


# --- iam (SigV4) --------------------------------------------------------------------------


def signed(
    identity: LocalIdentity,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    when: dt.datetime | None = None,
) -> dict[str, str]:
    req = AWSRequest(method=method, url=f"http://gw{path}", data=body, headers={"host": "gw"})
    auth = SigV4Auth(
        Credentials(identity.access_key_id, identity.secret_access_key), "execute-api", "us-east-1"
    )
    if when is None:
        auth.add_auth(req)
    else:
        # botocore signs "now": sign with a fixed timestamp through its own steps.
        req.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
        auth._modify_request_before_signing(req)
        canonical = auth.canonical_request(req)
        signature = auth.signature(auth.string_to_sign(req, canonical), req)
        auth._inject_signature_to_request(req, signature)
    return dict(req.headers.items())


def test_an_iam_route_refuses_unsigned_requests_and_jwt_tokens(
    gw: Gateway, issuer: DevIssuer
) -> None:
    assert_refused(request(gw, "POST", "/api/jobs/process"), 403, "Missing Authentication Token")
    resp = request(gw, "POST", "/api/jobs/process", headers=bearer(token(issuer)))
    assert_refused(resp, 403, "not AWS SigV4")


def test_an_iam_route_accepts_the_invoker_and_passes_its_identity(
    gw: Gateway, api: FakeFunction
) -> None:
    headers = signed(INVOKER, "POST", "/api/jobs/process?max_messages=5")
    resp = request(gw, "POST", "/api/jobs/process?max_messages=5", headers=headers)
    assert resp.status_code == 200, resp.text
    identity = api.events[0]["requestContext"]["identity"]
    assert identity["userArn"] == INVOKER.arn
    assert identity["accessKey"] == INVOKER.access_key_id


def test_an_iam_route_refuses_a_caller_whose_policy_lacks_execute_api_invoke(gw: Gateway) -> None:
    resp = request(
        gw, "POST", "/api/jobs/process", headers=signed(SERVICE, "POST", "/api/jobs/process")
    )
    assert_refused(resp, 403, "is not authorized to perform: execute-api:Invoke")


def test_an_iam_route_refuses_a_tampered_body_an_unknown_key_and_an_old_signature(
    gw: Gateway,
) -> None:
    headers = signed(INVOKER, "POST", "/api/jobs/process", b'{"n": 1}')
    resp = request(gw, "POST", "/api/jobs/process", headers=headers, content=b'{"n": 2}')
    assert_refused(resp, 403, "signature we calculated does not match")
    stranger = LocalIdentity("arn:aws:iam::1:user/x", "AKIASTRANGER", "s")
    headers = signed(stranger, "POST", "/api/jobs/process")
    assert_refused(request(gw, "POST", "/api/jobs/process", headers=headers), 403, "security token")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    headers = signed(INVOKER, "POST", "/api/jobs/process", when=old)
    assert_refused(
        request(gw, "POST", "/api/jobs/process", headers=headers), 403, "Signature expired"
    )


def test_the_longest_route_auth_prefix_wins(gw: Gateway, issuer: DevIssuer) -> None:
    # /jobs/processing is not below /jobs/process: it follows the service's jwt.
    resp = request(gw, "POST", "/api/jobs/processing", headers=bearer(token(issuer)))
    assert resp.status_code == 200


# --- fail closed, trusted headers, containers ------------------------------------------------


def test_a_path_no_rule_covers_is_refused(issuer: DevIssuer) -> None:
    gw = Gateway(
        [Route("/a", "a", function=FakeFunction("a"), auth=(("/open", "none"),))],  # type: ignore[arg-type]
        stage="dev",
        log=lambda _n, _l: None,
    )
    assert request(gw, "GET", "/a/open/x").status_code == 200
    assert_refused(request(gw, "GET", "/a/other"), 403, "no auth rule")


def test_a_container_gets_the_principal_and_origin_headers_and_never_a_clients_copy(
    issuer: DevIssuer,
) -> None:
    seen: list[httpx.Request] = []

    def backend(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json={"ok": True})

    auth = GatewayAuth(
        issuer=issuer,
        issuer_url=ISSUER,
        jwt={"web": issuer.verifier(ISSUER, ["acme-web"])},
        origin_secret="s3cret",
    )
    gw = Gateway(
        [Route("/web", "web", base_url="http://web", auth=(("", "jwt"),))],
        stage="dev",
        log=lambda _n, _l: None,
        auth=auth,
    )
    gw._http = httpx.AsyncClient(transport=httpx.MockTransport(backend))
    forged = {"x-trellis-claims": '{"sub": "admin"}', "x-trellis-origin": "guess"}
    resp = request(gw, "GET", "/web/me", headers={**bearer(token(issuer)), **forged})
    assert resp.status_code == 200
    headers = seen[0].headers
    assert headers["x-trellis-origin"] == "s3cret"
    assert headers["x-trellis-auth"] == "jwt"
    assert headers["x-trellis-principal"] == "u-1"
    assert json.loads(headers["x-trellis-claims"])["sub"] == "u-1"
    assert headers.get_list("x-trellis-origin") == ["s3cret"]


def test_a_container_gets_the_gateways_prefix_and_never_a_clients_x_forwarded_prefix(
    issuer: DevIssuer,
) -> None:
    # The container's self-links start with X-Forwarded-Prefix: a client's copy, forwarded
    # first, would be the one the app read.
    seen: list[httpx.Request] = []

    def backend(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json={"ok": True})

    gw = Gateway(
        [Route("/web", "web", base_url="http://web", auth=(("", "none"),))],
        stage="dev",
        log=lambda _n, _l: None,
    )
    gw._http = httpx.AsyncClient(transport=httpx.MockTransport(backend))
    resp = request(gw, "GET", "/web/me", headers={"x-forwarded-prefix": "/evil"})
    assert resp.status_code == 200
    assert seen[0].headers.get_list("x-forwarded-prefix") == ["/web"]
