"""`trellis dev`: the whole stack locally on the embedded AWS emulator."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trellis.cli._common import environment
from trellis.local.emulator import EMULATOR_PORT
from trellis.manifest import Manifest


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dev = sub.add_parser("dev", help="run the whole stack locally on the embedded AWS emulator")
    dev.add_argument("--port", type=int, default=8000, help="gateway port (default: %(default)s)")
    dev.add_argument(
        "--emulator-port",
        type=int,
        default=EMULATOR_PORT,
        help="AWS emulator port (default: %(default)s)",
    )
    dev.add_argument("--env", help="environment whose names to use (default: the manifest's first)")
    dev.add_argument(
        "--no-iam",
        dest="iam",
        action="store_false",
        help="don't enforce IAM: services run with the emulator's administrator key "
        "(also TRELLIS_IAM=off)",
    )
    dev.add_argument(
        "--no-reload",
        dest="reload",
        action="store_false",
        help="don't restart a service when a file under its path changes",
    )
    dev.add_argument(
        "--lambda-instances",
        type=int,
        default=None,
        metavar="N",
        help="local instances of each Lambda function at most, started on demand "
        "(default: 10, or the function's reserved_concurrency if lower)",
    )
    dev.add_argument(
        "--no-traces",
        dest="traces",
        action="store_false",
        help="don't point the services' OpenTelemetry exporter at the dashboard "
        "(the gateway's own spans are still shown)",
    )
    dev.add_argument(
        "--fresh",
        action="store_true",
        help="start with empty databases and caches: wipe .trellis/dev/<env>/databases and caches",
    )
    dev.set_defaults(run=_dev)

    token = sub.add_parser(
        "token",
        help="print a bearer token trellis dev's gateway accepts (or its API key, or SigV4 keys)",
        description="Print a development token for jwt routes: "
        'curl -H "Authorization: Bearer $(trellis token)" localhost:8000/api/...',
    )
    token.add_argument(
        "--sub", default="dev-user", help="the token's subject (default: %(default)s)"
    )
    token.add_argument(
        "--scope",
        action="append",
        default=[],
        metavar="SCOPE",
        help="a scope (repeat, or space-separated); default: none",
    )
    token.add_argument(
        "--ttl",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="lifetime in seconds (default: %(default)s; negative: already expired)",
    )
    token.add_argument(
        "--aud",
        action="append",
        default=[],
        metavar="AUDIENCE",
        help="audience (repeat); default: every audience of the manifest's jwt issuers",
    )
    token.add_argument("--env", help="environment (default: the manifest's first)")
    token.add_argument(
        "--port", type=int, help="gateway port of the issuer (default: the last trellis dev's)"
    )
    what = token.add_mutually_exclusive_group()
    what.add_argument(
        "--api-key",
        nargs="?",
        const="",
        metavar="SERVICE",
        help="print the local x-api-key of an api_key service (default: the first)",
    )
    what.add_argument(
        "--iam",
        action="store_true",
        help="print export lines with the local invoker's key (SigV4 for iam routes)",
    )
    token.set_defaults(run=_token)


def _dev(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis._console import color_enabled
    from trellis.local.dev import DevOptions, run_dev
    from trellis.local.identities import iam_enabled

    color = color_enabled(sys.stdout, args.color)
    options = DevOptions(
        root=Path(args.manifest).resolve().parent,
        env=environment(manifest, args.env),
        port=args.port,
        emulator_port=args.emulator_port,
        color=color,
        iam=args.iam and iam_enabled(),
        reload=args.reload,
        traces=args.traces,
        fresh=args.fresh,
    )
    if args.lambda_instances is not None:
        if args.lambda_instances < 1:
            from trellis.cli._common import UsageError

            raise UsageError("--lambda-instances: at least 1")
        options.lambda_instances = args.lambda_instances
    return run_dev(manifest, options)


def _token(args: argparse.Namespace, manifest: Manifest) -> int:
    from trellis.cli._common import UsageError
    from trellis.local.auth import DevAuthState, api_keys, auth_dir, mint_dev_token

    root = Path(args.manifest).resolve().parent
    env = environment(manifest, args.env)
    if args.api_key is not None:
        keyed = [s for s in manifest.services if "api_key" in manifest.auth_modes(s)]
        if not keyed:
            raise UsageError('no service uses auth = "api_key"')
        wanted = args.api_key or keyed[0]
        if wanted not in keyed:
            raise UsageError(f'{wanted!r} does not use auth = "api_key" ({", ".join(keyed)} do)')
        print(api_keys(auth_dir(root), keyed)[wanted])
        return 0
    if args.iam:
        state = DevAuthState.read(root, env)
        if state is None or state.invoker is None:
            raise UsageError(f"no local invoker yet: start `trellis dev` (env {env}) first")
        print(f"export AWS_ACCESS_KEY_ID={state.invoker['access_key_id']}")
        print(f"export AWS_SECRET_ACCESS_KEY={state.invoker['secret_access_key']}")
        print(f"export AWS_REGION={manifest.project.region}")
        return 0
    gateway = f"http://127.0.0.1:{args.port}" if args.port is not None else None
    scopes = [part for scope in args.scope for part in scope.split()]
    try:
        token = mint_dev_token(
            root,
            manifest,
            env,
            subject=args.sub,
            scopes=scopes,
            ttl_s=args.ttl,
            audience=args.aud or None,
            gateway_url=gateway,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(token)
    return 0
