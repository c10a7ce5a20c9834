"""Call moto's handlers from the emulator's dispatcher directly, not through Flask.

moto wraps each backend in a Flask application whose only work, for an AWS
call, is to match the URL, build a request object and hand it to one
callback (``moto.core.utils.convert_to_flask_response``). Flask's request and
application contexts, its signals, before- and after-request hooks and
debug helpers around that were a fifth of the emulator's time per DynamoDB
call in a profile; answering without them raised one client's GetItem rate
by about a tenth (measured with ``bench/emulator_workload.py``).

Here the URL is matched against the same Flask URL map and the same callback
gets moto's request class (without Flask's mixin), the same URL and headers;
its answer becomes the same Flask ``Response`` with the header Flask-CORS
would have added (moto
enables it with ``origins="*"`` and ``always_send``: every response carries
``Access-Control-Allow-Origin: *``). Flask still serves what needs it: moto's
own pages (``/moto-api``, which render templates), preflight and cross-origin
requests (Flask-CORS answers them), and any URL the map does not match (its
404 and 405 pages).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

from trellis.local._http import REQUEST_BODY


def install() -> None:
    """Wrap each backend application moto's dispatcher creates (idempotent)."""
    werkzeug_app: Any = importlib.import_module("moto.moto_server.werkzeug_app")
    dispatcher = werkzeug_app.DomainDispatcherApplication
    if getattr(dispatcher, "_trellis_direct", False):
        return
    initialise = dispatcher.__init__
    settings: Any = importlib.import_module("moto.settings")
    cors = not settings.DISABLE_GLOBAL_CORS

    def __init__(self: Any, create_app: Any) -> None:
        def create_direct_app(service: Any) -> Any:
            flask_app = create_app(service)
            if flask_app.service == "moto_api":
                return flask_app
            return _DirectApp(flask_app, _request_class(), cors=cors)

        initialise(self, create_direct_app)

    dispatcher.__init__ = __init__
    dispatcher._trellis_direct = True


def _request_class() -> type:
    """moto's request class, with its full URL built without werkzeug's URL machinery.

    moto's Flask app uses a subclass that mixes in Flask's request, whose
    additions (limits from the app's config, debug help for form errors) look
    for an application context on every body read; without Flask there is
    none, so the class is moto's own ``Request``, marked as a WSGI server's.
    A body the server read ahead (``REQUEST_BODY``) is its data from the start,
    instead of a read through werkzeug's limited stream.

    ``Request.raw_url`` goes through werkzeug's host validation and IDNA
    decoding on every call. For the hosts the emulator is called on — plain ASCII, no
    default port to strip — the URL is the scheme, the Host header and the
    raw request target; anything else takes moto's own path.

    Its headers are listed once per request: moto walks them four times or more
    per S3 call (signature, ACL, metadata, response), and each walk went through
    the whole environ, title-casing every name again. A header looked up by name
    (some thirty lookups per request) finds its environ key in a table instead of
    upper-casing and rewriting the name each time.
    """

    from moto.core.request import EnvironHeaders, Request

    environ_keys: dict[str, str] = {}

    class ListedHeaders(EnvironHeaders):
        """moto's read-only headers, iterated from a list made on first use."""

        def _get_key(self, key: str) -> str:
            environ_key = environ_keys.get(key) if isinstance(key, str) else None
            if environ_key is None:
                if not isinstance(key, str):
                    return str(super()._get_key(key))  # werkzeug's error for it
                upper = key.upper().replace("-", "_")
                environ_key = upper if upper in _BODY_HEADERS else f"HTTP_{upper}"
                if len(environ_keys) < _HEADER_NAMES_LIMIT:
                    environ_keys[key] = environ_key
            return self.environ[environ_key]  # type: ignore[no-any-return]

        def listed_as(self, headers: dict[str, str]) -> None:
            """Take ``_header_dict(environ)``, made already, as the listing."""
            self.__dict__["_listed"] = list(headers.items())
            self.__dict__["_size"] = len(self.environ)

        def __iter__(self) -> Iterator[tuple[str, str]]:
            listed: list[tuple[str, str]] | None = self.__dict__.get("_listed")
            # The environ is the request's; a change to it (none is made after the
            # request is built) would show in its size, and is then listed again.
            if listed is None or self.__dict__["_size"] != len(self.environ):
                listed = self.__dict__["_listed"] = list(_header_dict(self.environ).items())
                self.__dict__["_size"] = len(self.environ)
            return iter(listed)

    class DirectRequest(Request):
        from_wsgi_server = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.headers = ListedHeaders(self.environ)
            body = self.environ.get(REQUEST_BODY)
            # The server read the body whole: werkzeug's get_data returns it as is
            # (a form body is still parsed from it, and then reads as empty data).
            if body is not None and not (
                str(self.environ.get("CONTENT_TYPE", "")).lower().startswith(_FORMS)
            ):
                self._cached_data = body

        def _load_form_data(self) -> None:
            # werkzeug builds a form parser for every body, to learn that a JSON one
            # holds no form: what its parser answers for such a type, without it.
            if "form" not in self.__dict__ and str(self.environ.get("CONTENT_TYPE", "")).startswith(
                _NOT_FORMS
            ):
                d = self.__dict__
                d["stream"] = self._get_stream_for_parsing()
                d["form"] = self.parameter_storage_class()
                d["files"] = self.parameter_storage_class()
                return
            super()._load_form_data()

        @property
        def raw_url(self) -> str:
            environ = self.environ
            host = environ.get("HTTP_HOST", "")
            target = environ.get("RAW_URI", "")
            if (
                not host.isascii()
                or not host.replace(".", "").replace(":", "").replace("-", "").isalnum()
                or host.endswith(":80")
                or not target.startswith("/")
                or target.startswith("//")
                or environ.get("SCRIPT_NAME")
            ):
                return str(super().raw_url)
            path, mark, query = target.partition("?")
            return (
                f"{environ['wsgi.url_scheme']}://{host.lower()}{path}{mark if query else ''}{query}"
            )

    return DirectRequest


#: Routes remembered per backend: every JSON API is one path; S3's vary with keys.
_ROUTE_CACHE_LIMIT = 4096
#: The content types werkzeug's form parser reads (its request.data is then empty).
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
#: Content types of the JSON protocols: bodies werkzeug's form parser leaves alone.
_NOT_FORMS = ("application/x-amz-json-", "application/json")
#: Header names remembered with their environ keys (clients send a few dozen).
_HEADER_NAMES_LIMIT = 4096


class _DirectApp:
    """A backend's Flask application, answered without Flask where Flask adds nothing."""

    def __init__(self, flask_app: Any, request_class: type, *, cors: bool) -> None:
        from botocore.exceptions import ClientError
        from flask import Response
        from moto.moto_api import recorder
        from werkzeug.exceptions import HTTPException

        self.flask_app = flask_app
        self.service = flask_app.service
        self._url_map = flask_app.url_map
        self._views = flask_app.view_functions
        # Without host or subdomain matching, a rule matches on the method and path alone.
        self._cacheable = not flask_app.url_map.host_matching and not flask_app.subdomain_matching
        self._endpoints: dict[tuple[str, str], str] = {}
        self._request_class = request_class
        self._cors = cors
        self._response = Response
        self._record = recorder._record_request
        self._client_error = ClientError
        self._http_exception = HTTPException

    def __getattr__(self, name: str) -> Any:
        return getattr(self.flask_app, name)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if "HTTP_ORIGIN" in environ or environ["REQUEST_METHOD"] == "OPTIONS":
            return self.flask_app(environ, start_response)  # Flask-CORS answers these
        route = (environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))
        endpoint = self._endpoints.get(route)
        if endpoint is None:
            try:
                endpoint, _ = self._url_map.bind_to_environ(environ).match()
            except self._http_exception:
                return self.flask_app(environ, start_response)  # its 404 / 405 page
            if self._cacheable and len(self._endpoints) < _ROUTE_CACHE_LIMIT:
                self._endpoints[route] = endpoint
        callback = getattr(self._views.get(endpoint), "callback", None)
        if callback is None:
            return self.flask_app(environ, start_response)
        request = self._request_class(environ)
        headers = _header_dict(environ)
        request.headers.listed_as(headers)
        try:
            self._record(request)
            result = callback(request, request.raw_url, headers)
        except self._client_error as exc:  # what convert_to_flask_response does
            result = 400, {}, exc.response["Error"]["Message"]
        except self._http_exception as exc:
            return exc(environ, start_response)
        if len(result) == 3:
            status, headers, content = result
        else:
            status, headers, content = 200, {}, result
        response = self._response(response=content, status=status, headers=headers)
        if request.method == "HEAD" and "content-length" in headers:
            response.headers["Content-Length"] = headers["content-length"]
        if self._cors and "Access-Control-Allow-Origin" not in response.headers:
            response.headers.add("Access-Control-Allow-Origin", "*")
        return response(environ, start_response)


_NOT_HEADERS = ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH")
_BODY_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH")


def _header_dict(environ: dict[str, Any]) -> dict[str, str]:
    """``dict(request.headers)`` for moto's request class, in one pass over the environ.

    werkzeug's ``EnvironHeaders`` lists its keys by walking the environ, then
    looks each one up again; moto's subclass walks it once more per header to
    restore the original spelling of S3 metadata names.
    """
    preserved: dict[str, str] = environ.get("moto.preserved_header_names") or {}
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            if key in _NOT_HEADERS:
                continue
            name = key[5:].replace("_", "-").title()
        elif key in _BODY_HEADERS and value:
            name = key.replace("_", "-").title()
        else:
            continue
        headers[preserved.get(key, name)] = value
    return headers
