"""SageMaker grants: invoke (buffered and streamed) on exactly the configured endpoints, and nothing
when the config has none."""

from __future__ import annotations

import pytest

from tests.infra.conftest import CONFIGS, Synth, as_list, statements, synth

P, R, A = "${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}"


@pytest.fixture(scope="module")
def sagemaker(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synth(tmp_path_factory.mktemp("sagemaker"), config=str(CONFIGS / "sagemaker.yaml"))


def test_invoke_on_exactly_the_configured_endpoints(sagemaker: Synth) -> None:
    granted = [s for s in statements(sagemaker) if any(a.startswith("sagemaker:") for a in as_list(s["Action"]))]
    assert len(granted) == 1
    statement = granted[0]
    assert statement["Sid"] == "InvokeConfiguredSageMakerEndpoints" and "Condition" not in statement
    assert sorted(as_list(statement["Action"])) == ["sagemaker:InvokeEndpoint",
                                                    "sagemaker:InvokeEndpointWithResponseStream"]
    assert sorted(as_list(statement["Resource"])) == sorted([
        f"arn:{P}:sagemaker:eu-west-1:{A}:endpoint/jumpstart-dft-hf-llm-mistral-7b-instruct",
        f"arn:{P}:sagemaker:{R}:{A}:endpoint/my-tgi-endpoint",  # lower-cased, the stack's region, once
    ])


def test_no_sagemaker_access_without_sagemaker_deployments(streaming: Synth) -> None:
    actions = [a for s in statements(streaming) for a in as_list(s["Action"])]
    assert not [a for a in actions if a.startswith("sagemaker:")]



def test_a_region_known_only_at_runtime_is_the_stacks() -> None:
    from aws_cdk import App, Stack

    from cdk.iam_policies import sagemaker_endpoint_arns
    from tests.infra.conftest import render
    from tollway.config.models import Deployment

    stack = Stack(App(), "Probe")
    deployments = [Deployment.model_validate({"model_name": "m", "litellm_params": {
        "model": "sagemaker_chat/Env-Region", "aws_region_name": "os.environ/SAGEMAKER_REGION"}}),
        Deployment.model_validate({"model_name": "n", "litellm_params": {"model": "openai/gpt-4o"}})]
    assert [render(stack.resolve(arn)) for arn in sagemaker_endpoint_arns(stack, deployments)] == [
        f"arn:{P}:sagemaker:{R}:{A}:endpoint/env-region"]
