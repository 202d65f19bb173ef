"""Chat messages -> one prompt string for text-generation containers (``sagemaker/<endpoint>``).

A TGI ``inputs`` prompt is sent as is: the container does not apply the model's chat template,
so the gateway must. Which template, first match wins:

1. the deployment's own (LiteLLM's custom prompt keys): ``roles`` (``{role: {pre_message,
   post_message}}``), ``initial_prompt_value``, ``final_prompt_value``;
2. by the model family in ``hf_model_name`` (else the endpoint name): Llama 2 chat (``llama-2``
   and ``chat``), Llama 3 (``llama-3``), Mistral/Mixtral instruct (``mistral``/``mixtral`` and
   ``instruct``), each as its model card documents it;
3. LiteLLM's default for other models: the messages' text joined by spaces.
"""

from __future__ import annotations

from typing import Any

from tollway.errors import InvalidRequestError
from tollway.tokens import message_text

CUSTOM_KEYS = ("roles", "initial_prompt_value", "final_prompt_value")


def build(messages: list[dict[str, Any]], family_hint: str, settings: dict[str, Any]) -> str:
    """The prompt for ``messages`` (OpenAI message dicts); ``settings`` are the deployment's extras."""
    turns = [(str(m.get("role")), _text(m)) for m in messages]
    if any(settings.get(key) is not None for key in CUSTOM_KEYS):
        return _custom(turns, settings)
    hint = family_hint.lower()
    if "llama-2" in hint and "chat" in hint:
        return _llama2(turns)
    if "llama-3" in hint:
        return _llama3(turns)
    if ("mistral" in hint or "mixtral" in hint) and "instruct" in hint:
        return _mistral(turns)
    return " ".join(text for _, text in turns)


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list) and any(isinstance(p, dict) and p.get("type") not in (None, "text")
                                         for p in content):
        raise InvalidRequestError("this SageMaker text-generation endpoint takes text only "
                                  "(use sagemaker_chat/ for a container that serves the Messages API)",
                                  param="messages")
    return message_text(content)


def _custom(turns: list[tuple[str, str]], settings: dict[str, Any]) -> str:
    roles: dict[str, Any] = settings.get("roles") or {}
    out = [str(settings.get("initial_prompt_value") or "")]
    for role, text in turns:
        frame = roles.get(role) or {}
        out.append(f"{frame.get('pre_message', '')}{text}{frame.get('post_message', '')}")
    out.append(str(settings.get("final_prompt_value") or ""))
    return "".join(out)


def _system_first(turns: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
    system = "\n".join(text for role, text in turns if role in ("system", "developer"))
    return system, [(role, text) for role, text in turns if role not in ("system", "developer")]


def _llama2(turns: list[tuple[str, str]]) -> str:
    system, rest = _system_first(turns)
    out, pending = "", f"<<SYS>>\n{system}\n<</SYS>>\n\n" if system else ""
    for role, text in rest:
        if role == "assistant":
            out += f" {text} </s>"
        else:
            out += f"<s>[INST] {pending}{text} [/INST]"
            pending = ""
    return out


def _llama3(turns: list[tuple[str, str]]) -> str:
    out = "<|begin_of_text|>"
    for role, text in turns:
        name = "system" if role == "developer" else role if role in ("system", "assistant") else "user"
        out += f"<|start_header_id|>{name}<|end_header_id|>\n\n{text}<|eot_id|>"
    return out + "<|start_header_id|>assistant<|end_header_id|>\n\n"


def _mistral(turns: list[tuple[str, str]]) -> str:
    system, rest = _system_first(turns)
    out, pending = "<s>", f"{system}\n\n" if system else ""
    for role, text in rest:
        if role == "assistant":
            out += f" {text}</s>"
        else:
            out += f"[INST] {pending}{text} [/INST]"
            pending = ""
    return out
