"""Fixtures of every sport for Tests/conformance/run.sh, made through the running server's own API.

    python3 setup.py BASE_URL ADMIN_TOKEN WORK_DIR

The sports are the server's (`/assets/sports.json`, made from its registry), so a sport added to the server is
tested without a change here. For each sport three fixtures are created with `POST /admin/fixtures`: READ becomes
live with the actions of the sport's own `IngestArray` example of the served OpenAPI document (the start of a
match and its first action of the sport's catalogue, its team mapped onto the new fixture's), PATCH stays
scheduled, DELETE is deleted by the run. Written into WORK_DIR:

- `env.sh`: `export MW_<SPORT>_<PURPOSE>=<fixture id>` for each, sourced by run.sh for schemathesis.toml;
- `sports.toml`: the `[[operations]]` blocks that name every sport's operations (real fixture ids for the
  operations on one fixture; the statuses of the media websockets and of ingestion), which run.sh puts in the
  place of the `# @sports@` line of schemathesis.toml.

Exits with a sentence and status 2 when the server refuses a step.
"""

import json
import re
import sys
import urllib.request
import uuid


def call(base, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + token)
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        sys.exit(f"conformance setup: {method} {path} answered {error.code}: {error.read().decode(errors='replace')}")


def env_name(sport, purpose):
    return "MW_" + re.sub(r"[^A-Z0-9]", "_", sport.upper()) + "_" + purpose


def main(base, token, work):
    sports = call(base, token, "GET", "/assets/sports.json")
    document = call(base, token, "GET", "/openapi.json")
    examples = document["components"]["examples"]
    exports, blocks, media, ingest = [], [], [], []
    for entry in sports:
        sport, path = entry["sport"], entry["path"]
        ids = {}
        for purpose in ("READ", "PATCH", "DELETE"):
            fixture = call(base, token, "POST", "/admin/fixtures", {
                "sport": sport, "startDateUTC": "2025-05-20T08:30:00",
                "teams": [{"name": f"Home {sport} {purpose}"}, {"name": f"Away {sport} {purpose}"}],
            })
            ids[purpose] = fixture["id"]
            exports.append(f"export {env_name(sport, purpose)}={fixture['id']}")
            if purpose == "READ":
                teams = fixture["teams"]
        # The operation ids of this sport's paths, as the document names them.
        operations = {}
        for item_path, item in document["paths"].items():
            # This sport's paths exactly: /{path}/fixtures..., /media/{path}/..., /ingest/{path}/... (not another
            # sport whose path ends with this one's).
            if not re.match(rf"^(/media|/ingest)?/{re.escape(path)}/fixtures(/|$)", item_path):
                continue
            for operation in item.values():
                if isinstance(operation, dict) and "operationId" in operation:
                    operations[operation["operationId"]] = item_path
        # The sport's examples: `<Type>Fixture` is the one whose fixture is of this sport and has an `IngestArray`.
        prefix = next(name[:-len("Fixture")] for name, value in examples.items()
                      if name.endswith("Fixture") and isinstance(value.get("value"), dict)
                      and value["value"].get("sport") == sport and name[:-len("Fixture")] + "IngestArray" in examples)
        example = examples[prefix + "IngestArray"]
        fixture_example = examples[prefix + "Fixture"]["value"]
        team_map = {old["id"]: new["id"] for old, new in zip(fixture_example["teams"], teams)}
        actions = []
        for action in example["value"]:
            action = dict(action, actionId=str(uuid.uuid4()))
            if "team" in action:
                action["team"] = {"id": team_map[action["team"]["id"]]}
            actions.append(action)
        call(base, token, "POST", f"/ingest/{path}/fixtures/{ids['READ']}/actions", actions)
        one_fixture = sorted(name for name, item_path in operations.items() if "{fixtureId}" in item_path)
        blocks.append("[[operations]]\n"
                      f"include-operation-id = {json.dumps(one_fixture)}\n"
                      f'parameters = {{ "path.fixtureId" = "${{{env_name(sport, "READ")}}}" }}\n')
        media += sorted(name for name, item_path in operations.items() if item_path.startswith("/media/"))
        ingest += sorted(name for name, item_path in operations.items() if item_path.startswith("/ingest/"))
    # The media feeds (actions and statistics) exist only as websockets: a plain GET (schemathesis cannot perform
    # the RFC 6455 handshake) is always answered 426 with `Upgrade: websocket`, as documented.
    blocks.append("[[operations]]\n"
                  f"include-operation-id = {json.dumps(media)}\n"
                  'checks.positive_data_acceptance.expected-statuses = '
                  '["2xx", "3xx", 401, 403, 404, 409, 426, 429, "5xx"]\n')
    # Whether an action is taken depends on the fixture's stored state and the sport's rules engine (its teams,
    # the lifecycle of the actionId, the period, the score): a well-formed action is refused with 422 when it
    # breaks one of them (docs/ingestion.md "Refusals").
    blocks.append("[[operations]]\n"
                  f"include-operation-id = {json.dumps(ingest)}\n"
                  'checks.positive_data_acceptance.expected-statuses = '
                  '["2xx", "3xx", 401, 403, 404, 409, 422, 429, "5xx"]\n')
    with open(f"{work}/env.sh", "w") as out:
        out.write("\n".join(exports) + "\n")
    with open(f"{work}/sports.toml", "w") as out:
        out.write("\n".join(blocks))
    print(f"conformance: fixtures of {', '.join(entry['sport'] for entry in sports)} set up")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: setup.py BASE_URL ADMIN_TOKEN WORK_DIR")
    main(*sys.argv[1:])
