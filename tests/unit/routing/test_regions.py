"""``routing.regions``: which deployments serve a region-restricted request, and the refusal's wording."""

from __future__ import annotations

from tollway.api.context import RequestContext
from tollway.config.models import Deployment
from tollway.routing import regions


def _deployment(ident: str, **params: str) -> Deployment:
    return Deployment.model_validate({"model_name": "m", "litellm_params": {"model": "openai/x", **params},
                                      "model_info": {"id": ident}})


GROUP = [_deployment("eu", region_name="eu"), _deployment("us", region_name="us"), _deployment("any"),
         _deployment("eu2", region_name="eu-west-1")]


def test_serving_keeps_the_regions_deployments_and_never_an_unknown_one() -> None:
    assert [d.id for d in regions.serving(GROUP, "eu")] == ["eu", "eu2"]
    assert [d.id for d in regions.serving(GROUP, "us")] == ["us"]
    assert regions.serving(GROUP, None) is GROUP
    assert regions.serving(GROUP[2:3], "eu") == []


def test_the_region_is_read_from_and_carried_by_the_context() -> None:
    ctx = RequestContext(request_id="r")
    assert regions.required(ctx) is None and regions.carried(ctx) == {}
    ctx.extra[regions.CONTEXT_KEY] = "eu"
    assert regions.required(ctx) == "eu"
    assert regions.required(RequestContext(request_id="j", extra=regions.carried(ctx))) == "eu"


def test_the_refusal_names_the_model_the_region_and_the_default() -> None:
    error = regions.refused("gpt-4o", "eu", "acme", None)
    assert error.status_code == 400 and error.code == regions.CODE and error.param == "model"
    assert "'gpt-4o'" in error.message and "'eu'" in error.message and "'acme'" in error.message
    assert "no default_model" in error.message
    assert "default_model 'fallback'" in regions.refused("gpt-4o", "eu", "acme", "fallback").message
    assert "this request" in regions.refused("judge", "us", None, None).message
