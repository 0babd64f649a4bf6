"""Fuzzing the profiles loader: any input gives profiles or one ConfigError sentence, never a traceback."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui import redact
from tui.config import ConfigError, Profile, inspect_file, parse_profiles

# every lab path the fuzzer can reach stays inside a throwaway directory
_SANDBOX = Path(tempfile.mkdtemp(prefix="kx-config-fuzz-"))
ENV = {"KX_A": "alpha", "KX_PW": "fuzz-secret-pw"}
SOURCE = _SANDBOX / "profiles.yaml"
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(text: str) -> dict[str, Profile] | str:
    """The profiles, or the ConfigError message; anything else escapes and fails the test."""
    saved = os.environ.get("KX_STATE_DIR")
    os.environ["KX_STATE_DIR"] = str(_SANDBOX / "state")  # `lab: true` must not look at the real lab
    try:
        return parse_profiles(text, SOURCE, environ=ENV)
    except ConfigError as exc:
        return str(exc)
    finally:
        redact.clear_secrets()
        if saved is None:
            os.environ.pop("KX_STATE_DIR", None)
        else:
            os.environ["KX_STATE_DIR"] = saved


def check(text: str) -> None:
    result = outcome(text)
    if isinstance(result, str):
        assert result
        assert "\n" not in result.strip(), result
        assert "Traceback" not in result
        return
    assert result
    for name, profile in result.items():
        assert isinstance(profile, Profile)
        assert profile.name == name
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in profile.properties.items())
        assert isinstance(profile.bootstrap, str)


@FUZZ
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    check(text)


YAMLISH = st.lists(st.one_of(st.characters(whitelist_categories=(), whitelist_characters=(
    "profilesbootstrapertylabsecur_dinfv:{}[]-#&*!|>'\"%@ \n\t$,.?<=~0123456789")),
    st.sampled_from(["\n  ", "\n    ", "bootstrap: ", "properties: ", "secrets: ", "lab: true", "${KX_A}",
                     "{file: ", "&a ", "*a", "<<: "])), max_size=60).map("".join)


@FUZZ
@given(st.builds(lambda body: "profiles:\n  p:\n    " + body, YAMLISH))
def test_yaml_like_text(text: str) -> None:
    check(text)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.text(max_size=20), st.sampled_from(["${KX_A}", "${KX_MISSING}", "${", "$${x}",
                                                           "h:9092", "", "SASL_SSL", "${KX_PW}"]))
KEYS = st.one_of(st.sampled_from(["bootstrap", "properties", "secrets", "lab", "state_dir", "secure",
                                  "description", "file", "env", "acks", "sasl.password", "ssl.key.pem",
                                  "bootstrap.servers", "error_cb"]),
                 st.text(max_size=10), st.integers())
VALUES: st.SearchStrategy[Any] = st.recursive(
    SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                     st.dictionaries(KEYS, inner, max_size=4)), max_leaves=8)
PROFILE = st.dictionaries(
    st.sampled_from(["bootstrap", "properties", "secrets", "lab", "state_dir", "secure", "description"]),
    VALUES, max_size=6)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.one_of(st.text(max_size=12), st.integers()), PROFILE, max_size=3),
       st.dictionaries(st.sampled_from(["profiles", "extra"]), st.none(), max_size=1))
def test_structured_documents(profiles: dict[Any, Any], extra: dict[str, None]) -> None:
    check(yaml.safe_dump({"profiles": profiles, **extra}))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["acks", "linger.ms", "security.protocol", "sasl.mechanism",
                                        "compression.type", "no.such", "sasl.jaas.config",
                                        "enable.idempotence", "ssl.ca.location"]),
                       SCALARS.filter(lambda v: v is not None), max_size=4))
def test_librdkafka_validation_never_raises_anything_else(properties: dict[str, Any]) -> None:
    """The librdkafka probe (a real client handle, no broker) only ever answers with ConfigError."""
    text = yaml.safe_dump({"profiles": {"p": {"bootstrap": "127.0.0.1:1", "properties": properties}}})
    path = _SANDBOX / "validate.yaml"
    path.write_text(text)
    path.chmod(0o600)
    try:
        inspect_file(path, environ=ENV)
        message = ""
    except ConfigError as exc:
        message = str(exc)
    finally:
        redact.clear_secrets()
    assert "\n" not in message
    assert "fuzz-secret-pw" not in message
