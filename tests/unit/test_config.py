"""tui.config: profile loading, ${ENV} and file secrets, validation, permission warnings, CLI."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui import config, redact
from tui.cli import main
from tui.config import ConfigError, check_file, load_profile, load_profiles, parse_profiles
from tui.lab.security import PASSWORD_FILE, scram_password
from tui.lab.spec import LabSpec, NodePorts

SAMPLES = Path(__file__).resolve().parents[2] / "sample_configs" / "profiles"


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    redact.clear_secrets()
    yield
    redact.clear_secrets()


def write(tmp_path: Path, text: str, name: str = "profiles.yaml", mode: int = 0o600) -> Path:
    path = tmp_path / name
    path.write_text(text)
    path.chmod(mode)
    return path


def error_of(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_profiles(write(tmp_path, text), environ=environ or {})
    message = str(info.value)
    assert "\n" not in message
    assert "Traceback" not in message
    return message


def test_plain_profile_with_typed_values(tmp_path: Path) -> None:
    path = write(tmp_path, """
profiles:
  dev:
    bootstrap: [h1:9092, h2:9092]
    properties: {acks: all, enable.idempotence: true, linger.ms: 5, client.id: kx}
""")
    profile = load_profile("dev", path)
    assert profile.bootstrap == "h1:9092,h2:9092"
    assert profile.properties == {"acks": "all", "enable.idempotence": "true", "linger.ms": "5",
                                  "client.id": "kx"}
    assert profile.lab_dir is None
    assert profile.source == path.absolute()
    assert profile.warnings == ()


def test_env_interpolation_and_literal_dollar(tmp_path: Path) -> None:
    path = write(tmp_path, """
profiles:
  p:
    bootstrap: ${KX_HOST}:9093
    properties: {sasl.password: "${KX_PW}", client.id: "$${literal}-pa$$"}
""")
    profile = load_profiles(path, environ={"KX_HOST": "b1", "KX_PW": "env-secret-1"})["p"]
    assert profile.bootstrap == "b1:9093"
    assert profile.properties["sasl.password"] == "env-secret-1"
    assert profile.properties["client.id"] == "${literal}-pa$$"
    assert profile.origins["sasl.password"] == "${KX_PW}"
    shown = profile.redacted_properties()
    assert shown["sasl.password"] == "[redacted] (from ${KX_PW})"
    assert "env-secret-1" not in redact.redact_text("login failed with env-secret-1")  # registered


def test_missing_env_var_is_named(tmp_path: Path) -> None:
    message = error_of(tmp_path, "profiles:\n  p:\n    bootstrap: h:1\n    properties:\n"
                                 "      sasl.password: ${KX_NOT_SET}\n")
    assert "KX_NOT_SET" in message
    assert "line 5" in message
    assert "not set" in message


@pytest.mark.parametrize(("value", "needle"), [("${not-a-name}", "not an environment variable"),
                                               ("${UNCLOSED", "not closed")])
def test_bad_references(tmp_path: Path, value: str, needle: str) -> None:
    assert needle in error_of(tmp_path, f"profiles:\n  p:\n    bootstrap: '{value}'\n")


def test_secret_from_file_and_env_source(tmp_path: Path) -> None:
    secret_file = tmp_path / "prod.secret"
    secret_file.write_text("file-secret-77\n")
    secret_file.chmod(0o600)
    path = write(tmp_path, """
profiles:
  p:
    bootstrap: h:9093
    properties: {security.protocol: SASL_SSL, sasl.mechanism: PLAIN, sasl.username: app}
    secrets:
      sasl.password: {file: prod.secret}
      ssl.key.password: {env: KX_KEY_PW}
""")
    profile = load_profiles(path, environ={"KX_KEY_PW": "key-pw-88"})["p"]
    assert profile.properties["sasl.password"] == "file-secret-77"  # newline stripped, path relative
    assert profile.properties["ssl.key.password"] == "key-pw-88"
    assert set(profile.secret_values()) == {"file-secret-77", "key-pw-88"}
    assert profile.warnings == ()
    shown = profile.redacted_properties()
    assert shown["sasl.password"] == f"[redacted] (from file {secret_file})"
    assert shown["sasl.username"] == "[redacted]"


def test_readable_secret_file_warns(tmp_path: Path) -> None:
    secret_file = tmp_path / "s.secret"
    secret_file.write_text("pw-123456")
    secret_file.chmod(0o644)
    path = write(tmp_path, "profiles:\n  p:\n    bootstrap: h:1\n    secrets:\n"
                           "      sasl.password: {file: s.secret}\n")
    warnings = check_file(path, environ={}, validate=False)
    assert len(warnings) == 1
    assert str(secret_file) in warnings[0]
    assert "chmod 600" in warnings[0]
    assert "0644" in warnings[0]


def test_inline_secret_in_readable_profiles_file_warns(tmp_path: Path) -> None:
    text = "profiles:\n  p:\n    bootstrap: h:1\n    properties: {sasl.password: inline-pw-1}\n"
    assert check_file(write(tmp_path, text, mode=0o644), environ={}, validate=False)
    assert check_file(write(tmp_path, text, mode=0o600), environ={}, validate=False) == []
    from_env = "profiles:\n  p:\n    bootstrap: h:1\n    properties: {sasl.password: '${PW}'}\n"
    assert check_file(write(tmp_path, from_env, mode=0o644), environ={"PW": "x" * 8}, validate=False) == []


def test_missing_secret_file(tmp_path: Path) -> None:
    message = error_of(tmp_path, "profiles:\n  p:\n    bootstrap: h:1\n    secrets:\n"
                                 "      sasl.password: {file: /nonexistent/kx.secret}\n")
    assert "/nonexistent/kx.secret" in message
    assert "does not exist" in message
    assert "line 5" in message


@pytest.mark.parametrize(("text", "needles"), [
    ("profiles:\n  p: {bootstrap: 'h:1'}\nextra: 1\n", ["unknown top-level key 'extra'", "line 3"]),
    ("profiles:\n  p:\n    bootstrap: h:1\n    bootstrp: x\n", ["unknown key 'bootstrp'", "line 4"]),
    ("profiles:\n  p:\n    bootstrap: h:1\n    properties: [a, b]\n", ["must be a mapping", "line 4"]),
    ("profiles:\n  p:\n    bootstrap: h:1\n    properties: {acks: [1]}\n", ["acks", "a list"]),
    ("profiles:\n  p:\n    bootstrap: h:1\n    properties: {acks: }\n", ["acks has no value"]),
    ("profiles:\n  p:\n    bootstrap: ''\n", ["are empty", "line 3"]),
    ("profiles:\n  p:\n    bootstrap: 'a:1,,b:2'\n", ["empty entry"]),
    ("profiles:\n  p:\n    properties: {acks: 1}\n", ["needs `bootstrap"]),
    ("profiles:\n  p: just-a-string\n", ["must be a mapping"]),
    ("profiles: []\n", ["non-empty mapping"]),
    ("- a\n- b\n", ["top level must be a mapping"]),
    ("", ["is empty"]),
    ("profiles:\n  'bad name!': {bootstrap: 'h:1'}\n", ["profile names"]),
    ("profiles:\n  p: {bootstrap: 'h:1', lab: yes-please}\n", ["'lab' must be true or false"]),
    ("profiles:\n  p: {bootstrap: 'h:1', secure: true}\n", ["only applies to a lab profile"]),
    ("profiles:\n  p: {bootstrap: 'h:1', properties: {bootstrap.servers: 'x:1'}}\n", ["`bootstrap:` key"]),
    ("profiles:\n  p: {bootstrap: 'h:1', properties: {error_cb: x}}\n", ["Python callback"]),
    ("profiles:\n  p: {bootstrap: 'h:1', secrets: {sasl.password: 'plain'}}\n", ["{file: PATH}"]),
    ("profiles:\n  p:\n    bootstrap: [h:1\n", ["not valid YAML", "line"]),
    ("profiles:\n  p: {bootstrap: !!python/object:os.system x}\n", ["not valid YAML"]),
    ("profiles:\n  p: {bootstrap: 'h:1', description: 2001-02-30}\n", ["not valid YAML"]),
])
def test_invalid_files_give_one_sentence(tmp_path: Path, text: str, needles: list[str]) -> None:
    message = error_of(tmp_path, text)
    for needle in needles:
        assert needle in message, message
    assert str(tmp_path) in message


def test_unreadable_and_huge_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_profiles(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="directory"):
        load_profiles(tmp_path)
    huge = write(tmp_path, "profiles:\n" + "#" * 2_000_000)
    with pytest.raises(ConfigError, match="bytes"):
        load_profiles(huge)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_profiles(binary)


def test_load_profile_errors_and_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KX_CONFIG_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="does not exist"):
        load_profile("prod", None)
    write(tmp_path, "profiles:\n  a: {bootstrap: 'h:1'}\n  b: {bootstrap: 'h:2'}\n")
    assert load_profile("b", None).bootstrap == "h:2"
    with pytest.raises(ConfigError, match="has no profile 'prod'; it has: a, b"):
        load_profile("prod", None)


def test_librdkafka_rejects_unknown_property_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "profiles:\n  p:\n    bootstrap: h:1\n    properties:\n"
                           "      acks: all\n      no.such.prop: 1\n")
    with pytest.raises(ConfigError) as info:
        check_file(path, environ={})
    expected = f"{path.absolute()} line 6: profile 'p': no.such.prop is not a librdkafka property."
    assert str(info.value) == expected


def test_java_only_property_gets_a_hint_and_hides_the_password(tmp_path: Path) -> None:
    jaas = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="u" '
            'password="jaas-pw-99";')
    path = write(tmp_path, f"profiles:\n  p:\n    bootstrap: h:1\n    properties:\n"
                           f"      sasl.jaas.config: '{jaas}'\n")
    with pytest.raises(ConfigError) as info:
        check_file(path, environ={})
    message = str(info.value)
    assert "sasl.jaas.config is not a librdkafka property" in message
    assert "sasl.username and sasl.password" in message
    assert "jaas-pw-99" not in message


def test_invalid_value_of_a_secret_property_is_not_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, "profiles:\n  p:\n    bootstrap: h:1\n    properties:\n"
                           "      security.protocol: '${PW}'\n      sasl.password: '${PW}'\n")
    with pytest.raises(ConfigError) as info:
        check_file(path, environ={"PW": "oops-this-is-the-pw"})
    assert "security.protocol has an invalid value" in str(info.value)
    assert "oops-this-is-the-pw" not in str(info.value)


def test_bad_ca_file_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "profiles:\n  p:\n    bootstrap: h:1\n    properties:\n"
                           "      security.protocol: SSL\n      ssl.ca.location: /nonexistent/ca.pem\n")
    with pytest.raises(ConfigError, match="ssl.ca.location could not be loaded"):
        check_file(path, environ={})


# ---- lab profiles (no JVM: a saved spec is enough) --------------------------------------------------


def _lab_state(tmp_path: Path, security: str) -> Path:
    state = tmp_path / "lab"
    state.mkdir()
    spec = LabSpec(nodes=1, security=security, cluster_id="abc",
                   ports={1: NodePorts(broker=40001, controller=40002,
                                       secure=40003 if security != "plaintext" else None)})
    spec.save(state / "cluster.json")
    return state


def test_lab_profiles(tmp_path: Path) -> None:
    state = _lab_state(tmp_path, "sasl-scram")
    password = scram_password(state)
    path = write(tmp_path, f"profiles:\n  plain: {{lab: true, state_dir: {state}}}\n"
                           f"  sec: {{lab: true, state_dir: {state}, secure: true}}\n")
    profiles = load_profiles(path, environ={})
    assert profiles["plain"].bootstrap == "127.0.0.1:40001"
    assert profiles["plain"].lab_dir == state
    assert profiles["plain"].properties == {}
    secure = profiles["sec"]
    assert secure.bootstrap == "127.0.0.1:40003"
    assert secure.properties["sasl.password"] == password
    assert secure.properties["sasl.mechanism"] == "SCRAM-SHA-512"
    assert secure.redacted_properties()["sasl.password"].startswith("[redacted] (from file ")
    assert str(state / "security" / PASSWORD_FILE) in secure.redacted_properties()["sasl.password"]


def test_secure_lab_profile_needs_a_secure_lab(tmp_path: Path) -> None:
    state = _lab_state(tmp_path, "plaintext")
    message = error_of(tmp_path, f"profiles:\n  sec: {{lab: true, state_dir: {state}, secure: true}}\n")
    assert "runs without one" in message
    assert "--security" in message


def test_lab_profile_without_a_lab(tmp_path: Path) -> None:
    path = write(tmp_path, f"profiles:\n  lab: {{lab: true, state_dir: {tmp_path / 'none'}}}\n")
    assert "no lab cluster exists" in check_file(path, environ={}, validate=False)[0]
    with pytest.raises(ConfigError, match="start it with `kafka-explorer lab up`"):
        load_profile("lab", path)


def test_connect_resolve_uses_the_profile(tmp_path: Path) -> None:
    from tui.connect import resolve

    path = write(tmp_path, "profiles:\n  p: {bootstrap: 'h:9', properties: {acks: '1', client.id: a}}\n")
    args = argparse.Namespace(bootstrap=None, properties=["client.id=b"], profile="p", config=path)
    connection = resolve(args)
    assert connection.bootstrap == "h:9"
    assert connection.properties == {"acks": "1", "client.id": "b"}
    assert connection.label == "profile p"


# ---- sample files -----------------------------------------------------------------------------------


@pytest.fixture
def sample_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    home = tmp_path / "home"
    secret_dir = home / ".config" / "kafka-explorer"
    secret_dir.mkdir(parents=True)
    (secret_dir / "prod.secret").write_text("sample-prod-pw\n")
    (secret_dir / "prod.secret").chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KX_STATE_DIR", str(tmp_path / "state"))
    ca = "/etc/ssl/certs/ca-certificates.crt"
    env = {"KX_PROD_USER": "app", "KX_PROD_CA": ca if os.path.exists(ca) else "probe",
           "KX_STAGING_PASSWORD": "sample-staging-pw", "KX_CLOUD_BOOTSTRAP": "pkc-1.example.cloud:9092",
           "KX_CLOUD_KEY": "SAMPLEKEY", "KX_CLOUD_SECRET": "sample-cloud-secret"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.yaml")))
def test_every_sample_loads_and_validates(sample: str, sample_env: dict[str, str]) -> None:
    profiles, _warnings = config.inspect_file(SAMPLES / sample)
    assert profiles
    for profile in profiles.values():
        assert profile.description


def test_samples_exist() -> None:
    names = {p.name for p in SAMPLES.glob("*.yaml")}
    assert {"lab.yaml", "plain-remote.yaml", "sasl-scram-tls.yaml", "cloud-sasl-plain.yaml"} <= names


# ---- the `config check` command ---------------------------------------------------------------------


def test_config_check_prints_redacted(sample_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["config", "check", str(SAMPLES / "sasl-scram-tls.yaml")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "profile prod" in out
    assert "profile staging" in out
    assert "sasl.password = [redacted] (from ${KX_STAGING_PASSWORD})" in out
    for secret in ("sample-prod-pw", "sample-staging-pw"):
        assert secret not in out
        assert secret not in err


def test_config_check_json(sample_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["config", "check", str(SAMPLES / "cloud-sasl-plain.yaml"), "--json"]) == 0
    out, _ = capsys.readouterr()
    obj = json.loads(out.strip().splitlines()[0])
    assert obj["profile"] == "cloud"
    assert obj["properties"]["sasl.password"].startswith("[redacted]")
    assert "sample-cloud-secret" not in out


def test_config_check_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "profiles:\n  p: {bootstrap: 'h:1', properties: {sasl.password: s3cret-pw-1,"
                           " bogus.prop: 1}}\n", mode=0o644)
    assert main(["config", "check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert err.count("\n") == 1
    assert err.startswith("kafka-explorer: ")
    assert "bogus.prop" in err
    assert "Traceback" not in err
    assert "s3cret-pw-1" not in out + err


def test_config_check_warns_about_readable_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "profiles:\n  p: {bootstrap: 'h:1', properties: {sasl.password: s3cret-pw-2}}\n",
                 mode=0o644)
    assert main(["config", "check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "warning" in err
    assert "chmod 600" in err
    assert "s3cret-pw-2" not in out + err


def test_parse_profiles_accepts_yaml_anchors(tmp_path: Path) -> None:
    text = """
profiles:
  a: &base {bootstrap: 'h:1', properties: {acks: all}}
  b:
    <<: *base
    bootstrap: 'h:2'
"""
    profiles = parse_profiles(text, tmp_path / "x.yaml", environ={})
    assert profiles["b"].properties == {"acks": "all"}
    assert profiles["b"].bootstrap == "h:2"


def test_file_urls_in_auth_properties_warn(tmp_path: Path) -> None:
    path = write(tmp_path, "profiles:\n  p:\n    bootstrap: h:1\n    properties:\n"
                           "      sasl.oauthbearer.token.endpoint.url: file:///etc/passwd\n")
    warnings = check_file(path, environ={}, validate=False)
    assert len(warnings) == 1
    assert "sasl.oauthbearer.token.endpoint.url points at a local file" in warnings[0]


def test_load_profile_validates_with_librdkafka(tmp_path: Path) -> None:
    path = write(tmp_path, "profiles:\n  ok: {bootstrap: 'h:1'}\n  p:\n    bootstrap: h:1\n    properties:\n"
                           "      linger.ms: not-a-number\n")
    assert load_profile("ok", path).bootstrap == "h:1"
    # librdkafka calls it queue.buffering.max.ms; the error still points at the line the user wrote
    with pytest.raises(ConfigError, match=r"line 6: profile 'p': linger.ms: queue.buffering.max.ms has an inv"):
        load_profile("p", path)
    assert load_profile("p", path, validate=False).properties == {"linger.ms": "not-a-number"}
