"""``routing.tags``: where a request's tags come from, their bounds, and LiteLLM's tag filtering rules."""

from __future__ import annotations

import pytest

from tollway.config.models import Deployment
from tollway.errors import InvalidRequestError
from tollway.routing.tags import MAX_RECORDED, collect, merged, serving


def _dep(ident: str, tags: list[str] | None) -> Deployment:
    params = {"model": "mock/m", **({"tags": tags} if tags is not None else {})}
    return Deployment.model_validate({"model_name": "m", "litellm_params": params, "model_info": {"id": ident}})


def test_collect_reads_body_metadata_and_header_in_order() -> None:
    assert collect(["a", "b"], {"tags": ["b", "c"]}, " d , ,a") == ["a", "b", "c", "d"]
    assert collect(None, None, None) == []


@pytest.mark.parametrize(("body", "metadata", "header", "message"), [
    ("a", None, None, "'tags' must be a list of strings"),
    (None, {"tags": [1]}, None, "'metadata.tags' must be a list of strings"),
    ([f"t{i}" for i in range(17)], None, None, "at most 16 tags"),
    (None, None, "x" * 129, "at most 128 characters"),
])
def test_collect_refuses_malformed_tags(body: object, metadata: object, header: str | None, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        collect(body, metadata, header)


def test_merged_keeps_order_drops_repeats_and_is_bounded() -> None:
    assert merged(["a", "b"], "not-a-list", ["b", " c ", ""], None) == ["a", "b", "c"]
    assert len(merged([f"t{i}" for i in range(MAX_RECORDED + 5)])) == MAX_RECORDED


def test_serving_follows_litellm_rules() -> None:
    free, paid, default, plain = _dep("f", ["free"]), _dep("p", ["paid", "x"]), _dep("d", ["default"]), _dep("u", None)
    group = [free, paid, default, plain]
    assert serving(group, ["paid"]) == [paid]
    assert serving(group, ["free", "x"]) == [free, paid]
    assert serving(group, ["nobody"]) == [default]
    assert serving(group, []) == [default]
    assert serving([free, plain], []) == [free, plain]
    with pytest.raises(InvalidRequestError, match="No deployment of 'm' serves"):
        serving([free, plain], ["nobody"])
