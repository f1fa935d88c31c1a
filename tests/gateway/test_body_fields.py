"""Every request field the model or provider receives is scanned, or refused (issue 9, item 3).

Tools, their JSON Schemas, response formats, stop sequences: their texts get the policy's
actions. Identifiers (tool and function names, tool-call ids, tool_choice, schema property
names) cannot be rewritten: PII in one refuses the request, recorded, nothing sent.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import Gateway
from tests.gateway.test_errors import assert_error, post

NAME, EMAIL, PHONE = "Maria Gonzalez", "maria.gonzalez@example.com", "+1 415 555 0134"
RAW = (NAME, "Gonzalez", EMAIL, PHONE, "415 555 0134")
ASK = [{"role": "user", "content": "Where is my parcel?"}]


def weather_tool(**function: object) -> dict:
    return {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
                                             "parameters": {"type": "object", "properties": {
                                                 "city": {"type": "string", "description": "e.g. Paris"}},
                                                 "required": ["city"]}, **function}}


def assert_no_raw(text: str) -> None:
    for value in RAW:
        assert value not in text, value


def test_tool_schema_response_format_and_stop_texts_are_scanned(gateway: Gateway) -> None:
    tools = [{"type": "function", "function": {
        "name": "lookup_order",
        "description": f"Look up the orders of {NAME} ({EMAIL}).",
        "parameters": {
            "type": "object",
            "title": f"Order lookup for {NAME}",
            "properties": {
                "email": {"type": "string", "description": f"The e-mail, e.g. {EMAIL}", "default": EMAIL,
                          "examples": [EMAIL, {"note": f"call {PHONE}"}]},
                "channel": {"type": "string", "enum": ["web", f"phone {PHONE}"]},
                "a.b": {"type": "string", "description": f"Reach {NAME} at {PHONE}"},
            },
            # A key that is a regular expression, with brackets: still addressable.
            "patternProperties": {"^x[0-9]+$": {"description": f"write to {EMAIL}"}},
            "required": ["email"],
            # A vendor keyword: its name is an identifier, its value (same path) a text.
            "x-contact": EMAIL,
        }}}]
    response_format = {"type": "json_schema", "json_schema": {
        "name": "contact", "description": f"Contact card of {NAME}",
        "schema": {"type": "object", "$defs": {"kind": {"anyOf": [{"enum": [EMAIL, "none"]}, {"const": PHONE}]}},
                   "properties": {"contact": {"type": "object", "properties": {"kind": {"$ref": "#/$defs/kind"}}}}},
        "strict": True}}
    body = {"model": "demo-chat", "messages": ASK, "tools": tools, "tool_choice": "auto",
            "response_format": response_format, "stop": [NAME, EMAIL]}
    response = post(gateway, body)
    assert response.status_code == 200, response.text
    sent = gateway.received()[-1]
    assert_no_raw(json.dumps(sent))
    parameters = sent["tools"][0]["function"]["parameters"]
    assert sent["tools"][0]["function"]["description"] == "Look up the orders of <PERSON_1> (<EMAIL_ADDRESS_1>)."
    assert parameters["properties"]["email"]["default"] == parameters["x-contact"] == "<EMAIL_ADDRESS_1>"
    assert parameters["properties"]["channel"]["enum"] == ["web", "phone <PHONE_NUMBER_1>"]
    assert set(parameters["properties"]) == {"email", "channel", "a.b"}  # names are never rewritten
    assert sent["response_format"]["json_schema"]["schema"]["$defs"]["kind"]["anyOf"][0]["enum"] == [
        "<EMAIL_ADDRESS_1>", "none"]
    assert sent["stop"] == ["<PERSON_1>", "<EMAIL_ADDRESS_1>"]
    record = gateway.services().decision_log.get(response.headers["x-decision-id"])
    locations = {finding.location for finding in record.findings}
    assert {
        "tools[0].function.description",
        'tools[0].function.parameters.properties["a.b"].description',
        'tools[0].function.parameters.patternProperties["^x[0-9]+$"].description',
        "tools[0].function.parameters.properties.email.examples[1].note",
        'response_format.json_schema.schema["$defs"].kind.anyOf[1].const',
        "stop[1]",
    } <= locations
    assert_no_raw(record.model_dump_json())


def test_clean_tools_and_formats_go_upstream_unchanged(gateway: Gateway) -> None:
    body = {"model": "demo-chat", "messages": ASK, "tools": [weather_tool(strict=True)],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "response_format": {"type": "json_object"}, "stop": "END", "logit_bias": {"50256": -100},
            "service_tier": "auto", "reasoning_effort": "low", "stream_options": None, "seed": 2**63 - 1,
            "temperature": 0.2, "top_p": 1, "parallel_tool_calls": False}
    assert post(gateway, body).status_code == 200
    sent = gateway.received()[-1]
    assert {k: v for k, v in sent.items() if k != "model"} == {k: v for k, v in body.items() if k != "model"}


def _history(**call: str) -> list[dict]:
    call_id, name, reply_id = call.get("id", "call_1"), call.get("name", "lookup"), call.get("reply", "call_1")
    return [*ASK,
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": reply_id, "content": "In Lyon."}]


IDENTIFIERS = {
    "tool name": {"messages": ASK, "tools": [weather_tool(name="notify_Maria_Gonzalez")]},
    "tool-call id": {"messages": _history(id="call_415-555-0134", reply="call_415-555-0134")},
    "tool-call function name": {"messages": _history(name="email_Maria_Gonzalez")},
    "tool_call_id": {"messages": _history(reply="call_13912345678")},
    "legacy function_call name": {"messages": [*ASK, {"role": "assistant", "content": None, "function_call": {
        "name": "Maria_Gonzalez", "arguments": "{}"}}]},
    "tool_choice name": {"messages": ASK, "tools": [weather_tool(name="Maria_Gonzalez")],
                         "tool_choice": {"type": "function", "function": {"name": "Maria_Gonzalez"}}},
    "response format name": {"messages": ASK, "response_format": {"type": "json_schema", "json_schema": {
        "name": "card_4111111111111111", "schema": {"type": "object"}}}},
    "schema property name": {"messages": ASK, "tools": [weather_tool(parameters={
        "type": "object", "properties": {"Maria_Gonzalez": {"type": "object", "properties": {
            "Gonzalez_Maria": {"type": "string"}}}}})]},
    "required property name": {"messages": ASK, "tools": [weather_tool(parameters={
        "type": "object", "properties": {"who": {"type": "object", "properties": {"ssn_123-45-6789": {}},
                                                  "required": ["ssn_123-45-6789"]}}})]},
}


@pytest.mark.parametrize("where", sorted(IDENTIFIERS))
def test_pii_in_an_identifier_is_refused_and_recorded(gateway: Gateway, where: str) -> None:
    response = post(gateway, {"model": "demo-chat", **IDENTIFIERS[where]})
    error = assert_error(response, 400, "invalid_request_error", "pii_in_identifier")
    assert_no_raw(response.text)
    assert "Gonzalez" not in response.text and "4111" not in response.text and "6789" not in response.text
    assert gateway.received() == []
    record = gateway.services().decision_log.get(error["decision_id"])
    assert record.status_code == 400 and record.error_code == "pii_in_identifier"
    assert record.findings and all(f.action == "refuse" for f in record.findings)
    if where == "schema property name":  # both names hold PII: neither is in the record
        assert {f.location for f in record.findings} == {
            "tools[0].function.parameters.properties[*]", "tools[0].function.parameters.properties[*].properties[*]"}
    # Hex digests (hashes, ids) are taken out first: "0134" turns up in a random hash now and then.
    stored = re.sub(r"[0-9a-f]{16,}", "", record.model_dump_json())
    assert "Gonzalez" not in stored and "4111" not in stored and "6789" not in stored and "0134" not in stored


MALFORMED = {
    "tool name with an address": {"tools": [weather_tool(name=EMAIL)]},
    "tool-call id with spaces": {"messages": _history(id=f"call {NAME}")},
    "logit_bias key that is no token id": {"logit_bias": {EMAIL: 1}},
    "logit_bias out of range": {"logit_bias": {"50256": 101}},
    "service_tier free text": {"service_tier": EMAIL},
    "reasoning_effort free text": {"reasoning_effort": NAME},
    "tool_choice free text": {"tool_choice": NAME},
    "response_format unknown type": {"response_format": {"type": EMAIL}},
    "stream_options unknown option": {"stream_options": {EMAIL: True}},
    "tool of an unknown type": {"tools": [{"type": "custom", "custom": {"name": "x", "description": NAME}}]},
    "schema type free text": {"tools": [weather_tool(parameters={"type": EMAIL})]},
    "schema property name with an address": {"tools": [weather_tool(parameters={"properties": {EMAIL: {}}})]},
    "$ref that is prose": {"tools": [weather_tool(parameters={"$ref": f"see {NAME}"})]},
    "temperature out of range": {"temperature": 7},
    "seed beyond 64 bits": {"seed": 2**64},
    "too many stop sequences": {"stop": ["a", "b", "c", "d", "e"]},
    "integer as a string (strict)": {"max_tokens": "12"},
}


@pytest.mark.parametrize("where", sorted(MALFORMED))
def test_malformed_fields_are_refused_without_echo(gateway: Gateway, where: str) -> None:
    response = post(gateway, {"model": "demo-chat", "messages": ASK, **MALFORMED[where]})
    assert_error(response, 400, "invalid_request_error")
    assert_no_raw(response.text)
    assert "maria" not in response.text.lower()
    assert gateway.received() == []
