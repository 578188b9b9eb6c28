"""What the differential scripts share: the server's URL, clients for it, and ``observe``.

Imported by ``differential_script.py`` (see there) once it has set ``DIFFERENTIAL_BASE``;
the proxy variables are set here so both packages read the same environment.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Callable
from typing import Any

BASE = os.environ["DIFFERENTIAL_BASE"]
UTC = datetime.timezone.utc
NOV1 = datetime.datetime(2026, 11, 1, tzinfo=UTC)
NOV2 = datetime.datetime(2026, 11, 2, tzinfo=UTC)
OBSERVED: dict[str, Any] = {}

os.environ["HTTP_PROXY"] = "http://proxy.invalid:3128"
os.environ["NO_PROXY"] = "127.0.0.1,10.0.0.0/8,example.org:8443"


from _generated import ApiClient, Configuration, UsageApi  # noqa: E402

USER_AGENT = ApiClient(Configuration(host="http://127.0.0.1:9")).user_agent


def clean(value: Any) -> Any:
    """``value`` made comparable: this package's and the generator's User-Agent hidden."""
    text = value if isinstance(value, str) else json.dumps(value, default=repr, sort_keys=True)
    return text.replace(USER_AGENT, "<user-agent>")


def describe(exc: BaseException) -> dict[str, Any]:
    out: dict[str, Any] = {"class": type(exc).__name__, "str": str(exc)}
    for name in ("status", "reason", "body"):
        if hasattr(exc, name):
            out[name] = getattr(exc, name)
    if getattr(exc, "data", None) is not None:
        data = exc.data  # type: ignore[attr-defined]
        out["data"] = data.to_dict() if hasattr(data, "to_dict") else repr(data)
    if getattr(exc, "headers", None) is not None:
        out["headers"] = dict(exc.headers)  # type: ignore[attr-defined]
    return out


def observe(key: str, action: Callable[[], Any]) -> None:
    try:
        OBSERVED[key] = clean(action())
    except Exception as exc:  # the exception is the observation
        OBSERVED[key] = clean({"raised": describe(exc)})


def client(scenario: str, **settings: Any) -> ApiClient:
    settings.setdefault("access_token", "diff-token")
    return ApiClient(Configuration(host=f"{BASE}/s/{scenario}", **settings))


def api(scenario: str, **settings: Any) -> UsageApi:
    return UsageApi(client(scenario, **settings))


def rows(result: Any) -> Any:
    return [
        {
            "to_dict": r.to_dict(),
            "to_json": r.to_json(),
            "to_str": r.to_str(),
            "type": type(r).__name__,
        }
        for r in result
    ]


def get(scenario: str, **kwargs: Any) -> Any:
    return rows(api(scenario).get_token_usage_api_v2_usage_tokens_get(**kwargs))


def _catch(action: Callable[[], Any], pick: Callable[[Exception], Any]) -> Any:
    try:
        return {"returned": repr(action())}
    except Exception as exc:
        return pick(exc)
