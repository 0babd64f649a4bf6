"""Connection profiles: a YAML file of named clusters, with secrets from env vars or files.

Format (``profiles.yaml``; default location ``tui.paths.config_dir() / "profiles.yaml"``)::

    profiles:
      prod:
        description: production, read-only user         # optional, shown by `config check`
        bootstrap: broker1:9093,broker2:9093              # or a YAML list of host:port
        properties:                                       # any librdkafka property
          security.protocol: SASL_SSL
          sasl.mechanism: SCRAM-SHA-512
          sasl.username: app
          sasl.password: ${KX_PROD_PASSWORD}              # ${NAME}: environment variable
          ssl.ca.location: /etc/ssl/ca.pem
        secrets:                                          # alternative: secret values from files
          sasl.password: {file: ~/.config/kafka-explorer/prod.secret}   # or {env: NAME}
      lab: {lab: true}                                    # the local lab cluster
      lab-secure: {lab: true, state_dir: /tmp/kx, secure: true}   # its SASL/TLS listener

Rules:

* Loaded with ``yaml.safe_load`` only (no tags that build objects, no code).
* ``${NAME}`` is replaced by the environment variable ``NAME`` in ``bootstrap``, property values
  and secret file paths; an unset variable is an error naming it. ``$${`` writes a literal ``${``.
* A secret file's content is used without its trailing newline; relative paths are relative to the
  profiles file; ``~`` is expanded.
* Warnings (not errors): a secret file, or a profiles file holding an inline secret, that is
  readable by group or others (fix: ``chmod 600 FILE``).
* Every value a profile marks secret is registered with :mod:`tui.redact`, so it is scrubbed from
  every log line, report and error message from then on.
* Property names and values are checked by librdkafka itself (:func:`validate_properties` builds a
  client handle with no bootstrap servers, so nothing connects): typos, Java-only properties
  (``sasl.jaas.config``, truststores, serializers) and unreadable PEM files are caught with the line.
* ``lab: true`` profiles take their bootstrap servers from the lab's ``cluster.json``
  (``state_dir`` defaults to the user state dir); ``secure: true`` uses the lab's SASL/TLS
  listener and its generated credentials (:func:`tui.lab.security.lab_credentials`).

Errors are :class:`ConfigError` with one sentence naming the file and line.
:func:`explain_client_error` turns librdkafka's connection, TLS and SASL errors into one sentence
and :func:`probe_connection` tries a connection (``config check --connect``).
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tui import paths
from tui.redact import MASK, is_secret_key, is_sensitive_key, redact_config, redact_text, register_secrets

LOG = logging.getLogger("kafka_explorer.config")

TOP_LEVEL_KEYS = ("profiles",)
PROFILE_KEYS = ("description", "bootstrap", "properties", "secrets", "lab", "state_dir", "secure")
SECRET_SOURCES = ("file", "env")
MAX_FILE_BYTES = 1_000_000
MAX_SECRET_BYTES = 64 * 1024
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_TEMPLATE = re.compile(r"\$\$\{|\$\{(?P<name>[^}]*)\}|\$\{")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# python-side client arguments: callables, meaningless (and rejected) in a file
_PYTHON_ONLY = re.compile(r"^(logger|on_delivery|on_commit|.*_cb)$")
_JAVA_HINTS = {
    "sasl.jaas.config": "librdkafka takes sasl.username and sasl.password instead",
    "key.serializer": "librdkafka has no serializers; kafka-explorer sends bytes",
    "value.serializer": "librdkafka has no serializers; kafka-explorer sends bytes",
    "key.deserializer": "librdkafka has no deserializers; kafka-explorer reads bytes",
    "value.deserializer": "librdkafka has no deserializers; kafka-explorer reads bytes",
    "ssl.truststore.location": "librdkafka takes a PEM CA file in ssl.ca.location instead",
    "ssl.truststore.password": "librdkafka takes a PEM CA file in ssl.ca.location instead",
    "ssl.truststore.type": "librdkafka takes a PEM CA file in ssl.ca.location instead",
    "bootstrap.server": "did you mean the profile's `bootstrap:` key?",
}


class ConfigError(Exception):
    """A profiles file is wrong; ``str(err)`` is one sentence naming the file and line."""


@dataclass(frozen=True)
class Profile:
    """One named connection: where to connect and the librdkafka properties to use."""

    name: str
    bootstrap: str
    properties: dict[str, str]
    lab_dir: Path | None
    source: Path
    secret_keys: frozenset[str] = frozenset()
    """Keys whose values are masked: sensitive by name, or taken from ``secrets:``."""
    origins: dict[str, str] = field(default_factory=dict)
    """Where interpolated values came from: key -> ``${NAME}``, ``file PATH``, ``env NAME``."""
    warnings: tuple[str, ...] = ()
    description: str = ""
    secure: bool = False
    """A lab profile using the lab's SASL/TLS listener."""

    def secret_values(self) -> list[str]:
        """The secret values (never shown, scrubbed from text); user names are masked, not scrubbed."""
        return [v for k, v in self.properties.items()
                if k in self.secret_keys and v and (is_secret_key(k) or not is_sensitive_key(k))]

    def redacted_properties(self) -> dict[str, str]:
        """The properties as they may be shown: secrets masked, with where they came from."""
        shown = redact_config(self.properties)
        for key in self.secret_keys:
            if key in shown:
                origin = self.origins.get(key)
                shown[key] = f"{MASK} (from {origin})" if origin else MASK
        return {k: str(v) for k, v in shown.items()}


# ---- YAML with line numbers ----------------------------------------------------------------------


def _line_index(text: str) -> dict[tuple[str, ...], int]:
    """1-based line of each key along the schema path (profiles/NAME/KEY/SUBKEY); best effort.

    ``yaml.compose`` with the SafeLoader builds nodes only (no objects), and the walk follows the
    schema, so aliases cannot make it explode.
    """
    index: dict[tuple[str, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except Exception:
        return index

    def walk(node: Any, path: tuple[str, ...], depth: int) -> None:
        if not isinstance(node, yaml.MappingNode) or depth > 3:
            return
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                continue
            key_path = (*path, str(knode.value))
            index.setdefault(key_path, knode.start_mark.line + 1)
            if depth == 0 and knode.value != "profiles":
                continue
            if depth == 2 and knode.value not in ("properties", "secrets"):
                continue
            walk(vnode, key_path, depth + 1)

    walk(root, (), 0)
    return index


class _Where:
    """Formats 'FILE line N' for a key path."""

    def __init__(self, path: Path, lines: dict[tuple[str, ...], int]) -> None:
        self.path = path
        self.lines = lines

    def __call__(self, *keys: str) -> str:
        for n in range(len(keys), 0, -1):
            line = self.lines.get(tuple(keys[:n]))
            if line is not None:
                return f"{self.path} line {line}"
        return str(self.path)


def _read(path: Path) -> str:
    try:
        if path.exists() and not path.is_dir() and not path.is_file():
            raise ConfigError(f"{path} is not a regular file (a device or a pipe?).")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(f"{path} is {size} bytes; a profiles file is expected to be under "
                              f"{MAX_FILE_BYTES // 1000} kB.")
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"The profiles file {path} does not exist.") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path} is a directory, not a profiles file.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start}).") from exc
    except OSError as exc:
        raise ConfigError(f"Cannot read the profiles file {path}: {exc.strerror or exc}.") from exc


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path} line {mark.line + 1}, column {mark.column + 1}" if mark else str(path)
        problem = " ".join(str(exc.problem or exc.context or "syntax error").split())
        raise ConfigError(f"{where}: invalid YAML ({problem}).") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid YAML (nested too deeply).") from None
    except Exception as exc:  # ValueError for impossible dates, OverflowError, other YAMLErrors...
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ConfigError(f"{path}: invalid YAML ({detail}).") from None


# ---- values ---------------------------------------------------------------------------------------


def interpolate(value: str, where: str, environ: Mapping[str, str] | None = None) -> tuple[str, list[str]]:
    """``value`` with ``${NAME}`` replaced from ``environ`` (default ``os.environ``); returns the
    text and the variable names used. ``$${`` is a literal ``${``."""
    env = os.environ if environ is None else environ
    used: list[str] = []

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        name = match.group("name")
        if name is None:
            raise ConfigError(f"{where}: `${{` is not closed; write `${{NAME}}` or `$${{` for a literal.")
        if not _ENV_NAME.fullmatch(name):
            raise ConfigError(f"{where}: `${{{name}}}` is not an environment variable reference "
                              "(letters, digits and _ only).")
        if name not in env:
            raise ConfigError(f"{where} uses ${{{name}}}, but the environment variable {name} is not set.")
        used.append(name)
        return env[name]

    return _TEMPLATE.sub(replace, value), used


def _scalar(value: Any, what: str, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    if value is None:
        raise ConfigError(f"{where}: {what} has no value.")
    raise ConfigError(f"{where}: {what} must be a string, number or true/false, not {_kind(value)}.")


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def readable_by_others(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))
    except OSError:
        return False


def _permission_warning(path: Path, what: str) -> str:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0
    return (f"{what} {path} is readable by group or others (mode {mode:04o}); "
            f"restrict it with `chmod 600 {path}`.")


def _resolve_path(raw: str, base: Path) -> Path:
    candidate = Path(raw).expanduser()
    return candidate if candidate.is_absolute() else (base / candidate)


# ---- profiles -------------------------------------------------------------------------------------


@dataclass
class _Build:
    """Mutable state while one profile is parsed."""

    properties: dict[str, str] = field(default_factory=dict)
    secret_keys: set[str] = field(default_factory=set)
    origins: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    inline_secret: bool = False


def _parse_properties(name: str, raw: Any, where: _Where, environ: Mapping[str, str] | None,
                      build: _Build) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict):
        raise ConfigError(f"{where('profiles', name, 'properties')}: `properties` of profile {name!r} "
                          f"must be a mapping of librdkafka property to value, not {_kind(raw)}.")
    for key, value in raw.items():
        at = where("profiles", name, "properties", str(key))
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(f"{at}: property names must be non-empty strings, not {key!r}.")
        key = key.strip()
        if key == "bootstrap.servers":
            raise ConfigError(f"{at}: set the servers with the profile's `bootstrap:` key, "
                              "not as a property.")
        if _PYTHON_ONLY.match(key):
            raise ConfigError(f"{at}: {key} is a Python callback, not a setting a file can give.")
        text = _scalar(value, f"property {key}", at)
        resolved, used = interpolate(text, f"{at}: property {key}", environ)
        if used:
            build.origins[key] = text
        if is_sensitive_key(key):
            build.secret_keys.add(key)
            if not used and resolved and is_secret_key(key):
                build.inline_secret = True
        build.properties[key] = resolved


def _parse_secrets(name: str, raw: Any, base: Path, where: _Where, environ: Mapping[str, str] | None,
                   build: _Build) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict):
        raise ConfigError(f"{where('profiles', name, 'secrets')}: `secrets` of profile {name!r} must "
                          f"map property names to {{file: PATH}} or {{env: NAME}}, not {_kind(raw)}.")
    env = os.environ if environ is None else environ
    for key, source in raw.items():
        at = where("profiles", name, "secrets", str(key))
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(f"{at}: secret names must be non-empty property names, not {key!r}.")
        key = key.strip()
        if key in build.properties:
            raise ConfigError(f"{at}: {key} is given both in `properties` and in `secrets`; keep one.")
        if not isinstance(source, dict) or len(source) != 1 or next(iter(source)) not in SECRET_SOURCES:
            raise ConfigError(f"{at}: secret {key} must be {{file: PATH}} or {{env: NAME}}.")
        kind, target = next(iter(source.items()))
        target_text = _scalar(target, f"secret {key} {kind}", at)
        if kind == "env":
            if target_text not in env:
                raise ConfigError(f"{at}: secret {key} comes from the environment variable "
                                  f"{target_text}, which is not set.")
            value = env[target_text]
            build.origins[key] = f"env {target_text}"
        else:
            resolved, _ = interpolate(target_text, f"{at}: secret {key} file", environ)
            secret_path = _resolve_path(resolved, base)
            try:
                # a device or a pipe (/dev/zero, a FIFO) would never end: regular, small files only
                if secret_path.exists() and not secret_path.is_file():
                    raise ConfigError(f"{at}: the secret file {secret_path} for {key} is not a regular file.")
                if secret_path.exists() and secret_path.stat().st_size > MAX_SECRET_BYTES:
                    raise ConfigError(f"{at}: the secret file {secret_path} for {key} is larger than "
                                      f"{MAX_SECRET_BYTES // 1024} kB; is it the right file?")
                value = secret_path.read_text(encoding="utf-8").rstrip("\r\n")
            except FileNotFoundError:
                raise ConfigError(f"{at}: the secret file {secret_path} for {key} does not exist.") from None
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
                raise ConfigError(f"{at}: cannot read the secret file {secret_path} for {key} "
                                  f"({reason}).") from None
            if readable_by_others(secret_path):
                build.warnings.append(_permission_warning(secret_path, "The secret file"))
            build.origins[key] = f"file {secret_path}"
        if not value:
            raise ConfigError(f"{at}: the secret {key} is empty.")
        build.properties[key] = value
        build.secret_keys.add(key)


def _bootstrap(name: str, raw: Any, where: _Where, environ: Mapping[str, str] | None) -> str:
    at = where("profiles", name, "bootstrap")
    if raw is None:
        raise ConfigError(f"{where('profiles', name)}: profile {name!r} needs `bootstrap: HOST:PORT` "
                          "(or `lab: true`).")
    if isinstance(raw, list):
        parts = [_scalar(item, "a bootstrap server", at) for item in raw]
    else:
        parts = [_scalar(raw, "bootstrap", at)]
    text, _ = interpolate(",".join(parts), f"{at}: bootstrap", environ)
    servers = [s.strip() for s in text.split(",")]
    if not any(servers):
        raise ConfigError(f"{at}: the bootstrap servers of profile {name!r} are empty.")
    if not all(servers):
        raise ConfigError(f"{at}: the bootstrap servers of profile {name!r} contain an empty entry.")
    if any(" " in s or "\t" in s for s in servers):
        raise ConfigError(f"{at}: bootstrap servers are HOST:PORT separated by commas, without spaces.")
    return ",".join(servers)


def _lab_target(name: str, raw: dict[str, Any], base: Path, where: _Where,
                environ: Mapping[str, str] | None, build: _Build) -> tuple[str, Path, bool]:
    """Bootstrap servers, state dir and secure flag of a ``lab: true`` profile ("" when no lab)."""
    if "bootstrap" in raw:
        raise ConfigError(f"{where('profiles', name, 'bootstrap')}: profile {name!r} is a lab profile; "
                          "it takes its bootstrap servers from the lab, remove `bootstrap`.")
    secure = raw.get("secure", False)
    if not isinstance(secure, bool):
        raise ConfigError(f"{where('profiles', name, 'secure')}: `secure` must be true or false.")
    state_raw = raw.get("state_dir")
    if state_raw is None:
        state_dir = paths.lab_dir()
    else:
        at = where("profiles", name, "state_dir")
        text, _ = interpolate(_scalar(state_raw, "state_dir", at), f"{at}: state_dir", environ)
        state_dir = _resolve_path(text, base)
    from tui.lab.errors import LabError
    from tui.lab.spec import LabSpec

    spec_file = state_dir / "cluster.json"
    if not spec_file.exists():
        build.warnings.append(f"Profile {name!r}: no lab cluster exists in {state_dir} yet; start it "
                              "with `kafka-explorer lab up`.")
        return "", state_dir, secure
    try:
        spec = LabSpec.load(spec_file)
    except (OSError, ValueError, TypeError, KeyError):
        raise ConfigError(f"Profile {name!r}: the lab state in {spec_file} is unreadable; run "
                          "`kafka-explorer lab reset`.") from None
    if not secure:
        return spec.bootstrap(), state_dir, secure
    secure_bootstrap = spec.secure_bootstrap()
    if secure_bootstrap is None:
        raise ConfigError(f"{where('profiles', name, 'secure')}: profile {name!r} asks for the lab's "
                          f"secure listener, but the lab in {state_dir} runs without one; start it with "
                          "`kafka-explorer lab up --security sasl-scram` (or ssl).")
    from tui.lab.security import lab_credentials, password_file

    try:
        credentials = lab_credentials(state_dir)
    except (LabError, OSError) as exc:
        raise ConfigError(f"Profile {name!r}: the lab's credentials cannot be read ({exc}).") from None
    for key, value in credentials.items():
        build.properties.setdefault(key, value)
        if is_sensitive_key(key):
            build.secret_keys.add(key)
        if is_secret_key(key):
            build.origins[key] = f"file {password_file(state_dir)}"
    return secure_bootstrap, state_dir, secure


def _parse_profile(name: str, raw: Any, source: Path, where: _Where,
                   environ: Mapping[str, str] | None) -> Profile:
    at = where("profiles", name)
    if not isinstance(raw, dict):
        raise ConfigError(f"{at}: profile {name!r} must be a mapping (bootstrap, properties, ...), "
                          f"not {_kind(raw)}.")
    for key in raw:
        if key not in PROFILE_KEYS:
            raise ConfigError(f"{where('profiles', name, str(key))}: unknown key {key!r} in profile "
                              f"{name!r}; allowed: {', '.join(PROFILE_KEYS)}.")
    description = raw.get("description") or ""
    if not isinstance(description, str):
        raise ConfigError(f"{where('profiles', name, 'description')}: `description` must be text.")
    lab = raw.get("lab", False)
    if not isinstance(lab, bool):
        raise ConfigError(f"{where('profiles', name, 'lab')}: `lab` must be true or false.")
    if not lab:
        for key in ("state_dir", "secure"):
            if key in raw:
                raise ConfigError(f"{where('profiles', name, key)}: `{key}` only applies to a lab "
                                  "profile (`lab: true`).")
    base = source.parent
    build = _Build()
    _parse_properties(name, raw.get("properties"), where, environ, build)
    _parse_secrets(name, raw.get("secrets"), base, where, environ, build)
    lab_dir: Path | None = None
    secure = False
    if lab:
        bootstrap, lab_dir, secure = _lab_target(name, raw, base, where, environ, build)
    else:
        bootstrap = _bootstrap(name, raw.get("bootstrap"), where, environ)
    for key, value in build.properties.items():
        # CVE-2025-27817's lesson: a URL-valued auth property can read local files or reach any host
        if key.endswith(".url") and value.strip().lower().startswith("file:"):
            build.warnings.append(f"Profile {name!r}: {key} points at a local file ({value.strip()[:80]}); "
                                  "use profiles only from sources you trust.")
    if build.inline_secret and readable_by_others(source):
        build.warnings.append(_permission_warning(source, f"Profile {name!r} holds an inline secret, "
                                                          "but the profiles file"))
    profile = Profile(name=name, bootstrap=bootstrap, properties=build.properties, lab_dir=lab_dir,
                      source=source, secret_keys=frozenset(build.secret_keys), origins=build.origins,
                      warnings=tuple(build.warnings), description=description, secure=secure)
    register_secrets(profile.secret_values())
    return profile


def default_path() -> Path:
    return paths.config_dir() / "profiles.yaml"


def parse_profiles(text: str, source: Path, environ: Mapping[str, str] | None = None) -> dict[str, Profile]:
    """Profiles from YAML ``text`` (``source`` names it in errors and anchors relative paths)."""
    data = _parse_yaml(text, source)
    where = _Where(source, _line_index(text))
    if data is None:
        raise ConfigError(f"{source} is empty; it needs a top-level `profiles:` mapping.")
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping with a `profiles:` key, not "
                          f"{_kind(data)}.")
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise ConfigError(f"{where(str(key))}: unknown top-level key {key!r}; the file holds "
                              "`profiles:` only.")
    raw_profiles = data.get("profiles")
    if not isinstance(raw_profiles, dict) or not raw_profiles:
        raise ConfigError(f"{where('profiles')}: `profiles` must be a non-empty mapping of profile "
                          "names to profiles.")
    profiles: dict[str, Profile] = {}
    for name, raw in raw_profiles.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigError(f"{where('profiles', str(name))}: profile names are letters, digits, "
                              f"'.', '_' and '-', not {name!r}.")
        profiles[name] = _parse_profile(name, raw, source, where, environ)
    return profiles


def load_profiles(path: Path | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Profile]:
    """Every profile of the file at ``path`` (default: :func:`default_path`). Raises ConfigError."""
    source = Path(path).expanduser() if path is not None else default_path()
    return parse_profiles(_read(source), source.absolute(), environ)


def load_profile(name: str, path: Path | None = None, validate: bool = True) -> Profile:
    """The profile ``name``, its properties checked by librdkafka (``validate``, a few ms, no
    network); its warnings are logged. Raises ConfigError (one sentence)."""
    source = Path(path).expanduser() if path is not None else default_path()
    if path is None and not source.exists():
        raise ConfigError(f"Profile {name!r} was asked for, but {source} does not exist; create it or "
                          "pass --config FILE.")
    source = source.absolute()
    text = _read(source)
    profiles = parse_profiles(text, source)
    profile = profiles.get(name)
    if profile is None:
        raise ConfigError(f"{source} has no profile {name!r}; it has: {', '.join(sorted(profiles))}.")
    if profile.lab_dir is not None and not profile.bootstrap:
        raise ConfigError(f"Profile {name!r} uses the local lab in {profile.lab_dir}, but no lab cluster "
                          "exists there; start it with `kafka-explorer lab up`.")
    if validate:
        validate_profile(profile, _line_index(text))
    for warning in profile.warnings:
        LOG.warning("%s", warning)
    return profile


# ---- validation with librdkafka -------------------------------------------------------------------


def _silent_logger() -> logging.Logger:
    # a detached logger: the probe's "no bootstrap.servers" chatter must not reach the app log
    logger = logging.Logger("kafka_explorer.config.probe", level=logging.CRITICAL)
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


def _property_of(message: str) -> str | None:
    match = re.search(r'property:? "([^"]+)"', message) or re.search(r"([a-z0-9_.]+) failed:", message)
    return match.group(1) if match else None


def invalid_property_sentence(message: str, secrets: Iterable[str] = ()) -> str:
    """librdkafka's complaint about a property as a clause without secrets."""
    message = " ".join(message.split())
    text = redact_text(message, secrets)
    key = _property_of(message)
    if message.startswith("No such configuration property") and key:
        hint = _JAVA_HINTS.get(key)
        return f"{key} is not a librdkafka property" + (f" ({hint})" if hint else "")
    if message.startswith("Invalid value") and key:
        if is_sensitive_key(key):
            return f"{key} has an invalid value"
        return f"{key} has an invalid value ({text})"
    text = re.sub(r"^Failed to create (producer|consumer): ", "", text)
    if key and key.endswith(".location") and f"{key} failed" in message:
        return f"{key} could not be loaded: check that the file exists and holds PEM data"
    return f"librdkafka rejects the configuration: {text}"


def validate_properties(properties: Mapping[str, str], where: Callable[[str], str] | None = None,
                        secrets: Iterable[str] = ()) -> None:
    """Let librdkafka check property names and values without connecting anywhere.

    A client handle is built without ``bootstrap.servers`` (so it has nobody to talk to) and closed
    at once. Mechanisms that would act at creation (Kerberos kinit, OIDC token fetch) are probed on a
    PLAINTEXT handle, which still checks every name and value.
    """
    from confluent_kafka import KafkaException

    from tui.kafka import clients

    conf: dict[str, Any] = dict(properties)
    mechanism = conf.get("sasl.mechanism", conf.get("sasl.mechanisms", "")).upper()
    if mechanism == "GSSAPI" or str(conf.get("sasl.oauthbearer.method", "")).lower() == "oidc":
        conf["security.protocol"] = "plaintext"
    locate = where or (lambda _key: "")

    def sentence_at(key: str | None, sentence: str) -> str:
        prefix = locate(key) if key else locate("")
        sentence = sentence.rstrip(". ")
        return f"{prefix}: {sentence}." if prefix else f"{sentence[0].upper()}{sentence[1:]}."

    for key in conf:
        if key in _JAVA_HINTS:  # librdkafka's own message for these is long-winded or missing
            raise ConfigError(sentence_at(key, f"{key} is not a librdkafka property ({_JAVA_HINTS[key]})"))
    try:
        handle = clients.producer(conf, logger=_silent_logger(), lab_defaults=False)
    except KafkaException as exc:
        err = exc.args[0] if exc.args else exc
        message = err.str() if hasattr(err, "str") else str(err)
        culprit = _property_of(message)
        if culprit is not None and culprit not in conf:
            culprit = _culprit(conf) or culprit  # librdkafka names the canonical property, not the alias
        sentence = invalid_property_sentence(message, secrets)
        if culprit is not None and culprit not in sentence:
            sentence = f"{culprit}: {sentence}"
        raise ConfigError(sentence_at(culprit, sentence)) from None
    except (TypeError, ValueError) as exc:
        text = redact_text(str(exc), secrets)
        raise ConfigError(sentence_at(None, f"librdkafka rejects the configuration ({text})")) from None
    close = getattr(handle, "close", None)
    if callable(close):
        close()


def _culprit(conf: Mapping[str, Any]) -> str | None:
    """The first property librdkafka rejects on its own (error path only: one handle per key)."""
    from confluent_kafka import KafkaException

    from tui.kafka import clients

    for key, value in conf.items():
        try:
            handle = clients.producer({key: value}, logger=_silent_logger(), lab_defaults=False)
        except (KafkaException, TypeError, ValueError):
            return key
        close = getattr(handle, "close", None)
        if callable(close):
            close()
    return None


def validate_profile(profile: Profile, lines: dict[tuple[str, ...], int] | None = None) -> None:
    """:func:`validate_properties` for a profile, errors naming its file and line."""
    where = _Where(profile.source, lines or {})

    def locate(key: str) -> str:
        if key and key in profile.properties:
            for section in ("properties", "secrets"):
                if (("profiles", profile.name, section, key)) in where.lines:
                    return f"{where('profiles', profile.name, section, key)}: profile {profile.name!r}"
        return f"{where('profiles', profile.name)}: profile {profile.name!r}"

    # values taken from the environment or files are not echoed either: the loader cannot know
    # that ${KX_PW} under a harmless key holds no secret
    interpolated = [profile.properties[k] for k in profile.origins if k in profile.properties]
    validate_properties(profile.properties, locate, [*profile.secret_values(), *interpolated])


def check_file(path: Path, environ: Mapping[str, str] | None = None,
               validate: bool = True) -> list[str]:
    """Load every profile of ``path`` and (``validate``) let librdkafka check their properties.

    Returns the warnings; raises :class:`ConfigError` on the first error.
    """
    _profiles, warnings = inspect_file(path, environ, validate)
    return warnings


def inspect_file(path: Path, environ: Mapping[str, str] | None = None,
                 validate: bool = True) -> tuple[dict[str, Profile], list[str]]:
    """Like :func:`check_file`, also returning the profiles."""
    source = Path(path).expanduser().absolute()
    text = _read(source)
    profiles = parse_profiles(text, source, environ)
    if validate:
        lines = _line_index(text)
        for profile in profiles.values():
            validate_profile(profile, lines)
    warnings: list[str] = []
    for profile in profiles.values():
        for warning in profile.warnings:
            if warning not in warnings:
                warnings.append(warning)
    return profiles, warnings


# ---- client errors in one sentence ----------------------------------------------------------------

_BROKER_PREFIX = re.compile(r"^\s*(?:[a-z_]+://)?(?P<broker>[^\s/]+:\d+)(?:/[\w-]+)?:\s*")
_AFTER = re.compile(r"\s*\(after \d+ms in state \w+\)\s*$")


def _error_parts(err: Any) -> tuple[str, str]:
    """(code name, message) of a KafkaError, a KafkaException, any exception or text."""
    from confluent_kafka import KafkaError, KafkaException

    if isinstance(err, KafkaException) and err.args and isinstance(err.args[0], KafkaError):
        err = err.args[0]
    if isinstance(err, KafkaError):
        return err.name(), err.str()
    return "", str(err)


def explain_client_error(err: Any, secrets: Iterable[str] = ()) -> str:
    """One sentence for a librdkafka connection, TLS or authentication error, without secrets.

    ``err`` is a ``KafkaError`` (as ``error_cb`` gets it), a ``KafkaException`` or any text.
    """
    try:
        code, raw = _error_parts(err)
        message = _AFTER.sub("", raw)
        match = _BROKER_PREFIX.match(message)
        broker = match.group("broker") if match else ""
        if match:
            message = message[match.end():]
        at = f" at {broker}" if broker else ""
        low = message.lower()
        mech = re.search(r"SASL (\S+) mechanism handshake failed", message)
        sentence: str
        if "invalid credentials" in low or "authentication failed" in low:
            used = re.search(r"mechanism (\S+)", message)
            sentence = (f"Authentication failed{at}: the broker rejected the SASL username or password"
                        + (f" (mechanism {used.group(1)})" if used else "") + ".")
        elif "unsupported sasl mechanism" in low:
            supported = message.rsplit("supported mechanisms:", 1)[-1].strip() or "none"
            sentence = (f"The broker{at} does not accept SASL mechanism "
                        f"{mech.group(1) if mech else 'in sasl.mechanism'}; it accepts {supported}.")
        elif "request not valid in current sasl state" in low or (
                mech and "supported mechanisms:" in low and low.rstrip().endswith("mechanisms:")):
            sentence = (f"The listener{at} does not speak SASL: set security.protocol to match it "
                        "(e.g. PLAINTEXT or SSL), or use the SASL port.")
        elif "certificate verify failed" in low or "unable to get local issuer" in low \
                or "self-signed certificate" in low or "self signed certificate" in low:
            if "hostname" in low or "ip address mismatch" in low:
                sentence = (f"TLS handshake failed{at}: the broker's certificate does not name this host; "
                            "connect with the name in the certificate (ssl.endpoint.identification."
                            "algorithm=none turns this check off).")
            else:
                sentence = (f"TLS handshake failed{at}: the broker's certificate is not signed by a CA "
                            "you trust; point ssl.ca.location at the cluster's CA certificate.")
        elif "connecting to a plaintext broker listener" in low or "wrong version number" in low:
            sentence = (f"TLS handshake failed{at}: the port does not speak TLS (a PLAINTEXT or "
                        "SASL_PLAINTEXT listener); set security.protocol to match it or use the TLS port.")
        elif "connecting to a ssl listener" in low or "connecting to an ssl listener" in low:
            sentence = (f"The broker{at} closed the connection: it expects TLS; set security.protocol "
                        "to SSL or SASL_SSL.")
        elif "ssl handshake failed" in low or code == "_SSL":
            sentence = f"TLS handshake failed{at}: {_clause(message)}."
        elif "connection refused" in low:
            sentence = f"Cannot reach the broker{at}: connection refused (is it running, is the port right?)."
        elif "resolve" in low and ("failed" in low or "name" in low):
            sentence = f"Cannot resolve the broker address{at}: check the host name in bootstrap."
        elif "connection closed by peer" in low or "disconnected" in low:
            sentence = (f"The broker{at} closed the connection at once: security.protocol probably does "
                        "not match the listener (SASL or TLS port with a PLAINTEXT client?).")
        elif code == "_ALL_BROKERS_DOWN" or "brokers are down" in low:
            sentence = "No broker is reachable: check bootstrap, security.protocol and that the cluster runs."
        elif code in ("_AUTHENTICATION", "SASL_AUTHENTICATION_FAILED"):
            sentence = f"Authentication failed{at}: {_clause(message)}."
        elif code == "_TIMED_OUT" or "timed out" in low:
            sentence = f"The cluster did not answer in time{at}: {_clause(message)}."
        else:
            sentence = f"Kafka client error{at}: {_clause(message)}."
        return redact_text(sentence, secrets)
    except Exception:
        return "Kafka client error (details withheld)."


def _clause(message: str) -> str:
    text = " ".join(message.split()).rstrip(". ")
    return text[:300] if text else "no details"


__all__ = [
    "ConfigError", "Profile", "check_file", "default_path", "explain_client_error", "inspect_file",
    "interpolate", "load_profile", "load_profiles", "parse_profiles", "probe_connection", "validate_profile",
    "validate_properties",
]


# ---- trying a connection --------------------------------------------------------------------------

class _FailureLog(logging.Handler):
    """Collects librdkafka's FAIL log lines of one probe client (kept off the app log)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []
        self.logger = logging.Logger("kafka_explorer.config.probe", level=logging.DEBUG)
        self.logger.addHandler(self)
        self.logger.propagate = False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:
            return
        if " FAIL " in f" {text} " and len(self.messages) < 20:
            self.messages.append(re.sub(r"^.*?\[thrd:[^\]]*\]:\s*", "", text))


_DECISIVE = ("_AUTHENTICATION", "_SSL", "SASL_AUTHENTICATION_FAILED", "_INVALID_ARG")


def probe_connection(bootstrap: str, properties: Mapping[str, str], timeout: float = 10.0,
                     secrets: Iterable[str] = ()) -> str | None:
    """Ask the cluster for metadata; None when it answers, else one sentence saying why not.

    Authentication and TLS failures end the probe at once (they do not heal by retrying). The one
    client is created, polled and closed by the calling thread, with short poll timeouts.
    """
    import time

    from confluent_kafka import KafkaError, KafkaException

    from tui.kafka import clients

    errors: list[KafkaError] = []
    failures = _FailureLog()
    hidden = [*secrets, *(v for k, v in properties.items() if is_secret_key(k))]
    conf: dict[str, Any] = {**properties, "bootstrap.servers": bootstrap,
                            "socket.connection.setup.timeout.ms": max(1000, int(timeout * 1000))}
    try:
        client = clients.producer(conf, error_cb=errors.append, logger=failures.logger)
    except KafkaException as exc:
        return redact_text(f"{invalid_property_sentence(_error_parts(exc)[1], hidden)}.", hidden)
    except (TypeError, ValueError) as exc:
        return redact_text(f"librdkafka rejects the configuration ({exc}).", hidden)
    deadline = time.monotonic() + timeout
    last: Any = None
    try:
        while time.monotonic() < deadline:
            client.poll(0.1)  # serves error_cb
            decisive = [e for e in errors if e.name() in _DECISIVE or "SSL handshake failed" in e.str()]
            if decisive:
                return explain_client_error(decisive[0], hidden)
            try:
                client.list_topics(timeout=min(0.5, max(0.05, deadline - time.monotonic())))
                return None
            except KafkaException as exc:
                last = exc
        client.poll(0.1)
        specific: list[Any] = [e for e in errors if e.name() != "_ALL_BROKERS_DOWN"]
        # librdkafka reports a peer that hangs up only in its log, not through error_cb
        specific += failures.messages
        return explain_client_error(specific[0] if specific else (errors[0] if errors else last), hidden)
    finally:
        client.purge()
        client.flush(0)
        close = getattr(client, "close", None)
        if callable(close):
            close()
