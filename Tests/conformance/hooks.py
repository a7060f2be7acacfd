"""schemathesis hooks of Tests/conformance/run.sh (loaded through SCHEMATHESIS_HOOKS).

Two rules between parameters of `GET /{S}/fixtures` that OpenAPI cannot state (each parameter is valid on its
own; the document says both in words). Rather than widening the statuses schemathesis accepts for a valid
request (which would also hide a real 400 to a valid request), a generated request is made to follow them:

- `live=true` with a `status` other than `live` is 400: the filters contradict each other. In a request
  meant to be valid, `live` is dropped then (the generated `status` stays and is tested).
- `page` and `size` are read only with the header `paged: true`; without it they are ignored, not even
  checked. A request that sends `page` or `size` gets `paged: true`, so that an invalid `page` is refused as
  schemathesis expects. Requests without them keep the `paged` header as generated: both answers (array
  and page) are still tested.

A case is changed only where the changed part is not the one made invalid on purpose (a missing
`Authorization` header, say): schemathesis would take the changed case for a valid one.
"""

import schemathesis
from schemathesis.core.parameters import ParameterLocation



def _lists_fixtures(operation):
    """`GET /{S}/fixtures` of any sport: a path ending in /fixtures, not the admin one."""
    return operation.path.endswith("/fixtures") and not operation.path.startswith("/admin/")


def _is_negative(case, location):
    meta = case.meta
    component = meta.components.get(location) if meta is not None else None
    return component is not None and component.mode.is_negative


@schemathesis.hook
def map_case(context, case):
    operation = context.operation
    if operation is None or operation.method.upper() != "GET" or not _lists_fixtures(operation):
        return case
    query = case.query or {}
    if not query:
        return case
    if not _is_negative(case, ParameterLocation.QUERY):
        live, status = query.get("live"), query.get("status")
        if isinstance(live, str) and live.lower() == "true" and isinstance(status, str) and status.lower() != "live":
            case.query = {name: value for name, value in query.items() if name != "live"}
    if "page" in case.query or "size" in case.query:
        headers = case.headers or {}
        paged = any(name.lower() == "paged" and str(value).lower() == "true" for name, value in headers.items())
        if not paged and not _is_negative(case, ParameterLocation.HEADER):
            updated = {name: value for name, value in headers.items() if name.lower() != "paged"}
            updated["paged"] = "true"
            case.headers = updated
    return case
