"""The emulator's request headers answer as moto's own, however a name is spelled."""

from __future__ import annotations

import io
from typing import Any

import pytest
from moto.core.request import EnvironHeaders

from trellis.local._direct_dispatch import _header_dict, _request_class


def environ() -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "RAW_URI": "/",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "4566",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b"{}"),
        "CONTENT_TYPE": "application/x-amz-json-1.0",
        "CONTENT_LENGTH": "2",
        "HTTP_HOST": "127.0.0.1:4566",
        "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.GetItem",
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=testing/20261203/us-east-1/...",
        "HTTP_X_AMZ_META_MY_KEY": "v",
        "moto.preserved_header_names": {"HTTP_X_AMZ_META_MY_KEY": "x-amz-meta-my_key"},
    }


NAMES = [
    "X-Amz-Target",
    "x-amz-target",
    "X_AMZ_TARGET",
    "Content-Type",
    "content-length",
    "CONTENT_TYPE",
    "Authorization",
    "authorization",
    "Host",
    "x-amz-meta-my_key",
    "X-Amz-Meta-My-Key",
    "X-Missing",
    "Content-Md5",
]


@pytest.mark.parametrize("listed_first", [False, True])
def test_lookups_and_listing_match_moto_s_headers(listed_first: bool) -> None:
    env = environ()
    ours = _request_class()(env).headers
    if listed_first:  # as the dispatcher does: the listing it made for moto's callback
        ours.listed_as(_header_dict(env))
    moto = EnvironHeaders(env)
    for _ in range(2):  # the second time through, every name is a known one
        for name in NAMES:
            assert (name in ours) == (name in moto), name
            assert ours.get(name) == moto.get(name), name
            assert ours.get(name, "default") == moto.get(name, "default"), name
            if name in moto:
                assert ours[name] == moto[name]
            else:
                with pytest.raises(KeyError):
                    ours[name]
    assert list(ours) == list(moto)
    assert dict(ours) == _header_dict(env)
    with pytest.raises(KeyError):
        ours[3]  # type: ignore[index]
