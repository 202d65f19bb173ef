"""The embedded DynamoDB-compatible store keeps its data across a process restart."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import json, os, sys
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    os.environ["TOLLWAY_TABLE_PREFIX"] = "restart-"
    from tollway.storage.embedded import EmbeddedStore
    from tollway.storage import client
    action, data_dir = sys.argv[1], sys.argv[2]
    store = EmbeddedStore(data_dir)
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = store.start()
    client.reset_client()
    names = client.ensure_tables()
    db = client.dynamodb()
    if action == "write":
        db.put_item(TableName="restart-identity", Item={"pk": {"S": "key#1"}, "sk": {"S": "meta"},
                                                      "alias": {"S": "survivor"}, "n": {"N": "42"}})
        store.stop()
        print(json.dumps({"tables": names}))
    else:
        item = db.get_item(TableName="restart-identity", Key={"pk": {"S": "key#1"}, "sk": {"S": "meta"}}).get("Item")
        ttl = db.describe_time_to_live(TableName="restart-counters")["TimeToLiveDescription"]
        table = db.describe_table(TableName="restart-spend")["Table"]
        gsis = [i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])]
        store.stop()
        print(json.dumps({"item": item, "ttl": ttl.get("AttributeName"), "gsis": gsis}))
""")


def _run(action: str, data_dir: Path) -> dict:  # type: ignore[type-arg]
    result = subprocess.run([sys.executable, "-c", SCRIPT, action, str(data_dir)], capture_output=True, text=True,
                            timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_data_survives_a_restart(tmp_path: Path) -> None:
    written = _run("write", tmp_path)
    assert "restart-identity" in written["tables"]
    assert (tmp_path / "dynamodb.json").exists()
    read = _run("read", tmp_path)  # a brand-new process: only the snapshot on disk can answer
    assert read["item"]["alias"] == {"S": "survivor"} and read["item"]["n"] == {"N": "42"}
    assert read["ttl"] == "expires_at"
    assert read["gsis"] == ["gsi1"]


def test_a_fresh_directory_starts_empty(tmp_path: Path) -> None:
    assert _run("read", tmp_path)["item"] is None
