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
* Property names and values are checked by librdkafka itself
  (:func:`tui.kafka.properties.validate_properties` builds a client handle with no bootstrap servers,
  so nothing connects): typos, Java-only properties (``sasl.jaas.config``, truststores, serializers)
  and unreadable PEM files are caught with the line.
* ``lab: true`` profiles take their bootstrap servers from the lab's ``cluster.json``
  (``state_dir`` defaults to the user state dir); ``secure: true`` uses the lab's SASL/TLS
  listener and its generated credentials (:func:`tui.lab.security.lab_credentials`).

The file is read by :mod:`tui.yamldoc` (size cap, ``yaml.safe_load`` only, the line of every key).
Errors are :class:`ConfigError` with one sentence naming the file and line. This module is the
profile schema only: librdkafka's errors as one sentence live in :mod:`tui.kafka.explain`, trying a
connection (``config check --connect``) in :mod:`tui.kafka.probe`.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui import paths, yamldoc
from tui.kafka.probe import probe_connection  # moved there; kept importable here for older callers
from tui.kafka.properties import PropertyError, is_python_callback, validate_properties
from tui.redact import MASK, is_secret_key, is_sensitive_key, redact_config, register_secrets
from tui.yamldoc import Document, KeyPath, Where, YamlError, get_bool, kind, scalar_text

LOG = logging.getLogger("kafka_explorer.config")

TOP_LEVEL_KEYS = ("profiles",)
PROFILE_KEYS = ("description", "bootstrap", "properties", "secrets", "lab", "state_dir", "secure")
SECRET_SOURCES = ("file", "env")
MAX_FILE_BYTES = yamldoc.MAX_BYTES
MAX_SECRET_BYTES = 64 * 1024
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_TEMPLATE = re.compile(r"\$\$\{|\$\{(?P<name>[^}]*)\}|\$\{")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConfigError(YamlError):
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


# ---- reading -------------------------------------------------------------------------------------


def _read(path: Path) -> Document:
    return yamldoc.read(path, what="profiles file", max_bytes=MAX_FILE_BYTES, error=ConfigError)


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


def _scalar(value: Any, what: str, at: str) -> str:
    return scalar_text(Where(at, ConfigError), value, what)


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


def _parse_properties(name: str, raw: Any, doc: Document, environ: Mapping[str, str] | None,
                      build: _Build) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict):
        raise ConfigError(f"{doc.where('profiles', name, 'properties')}: `properties` of profile {name!r} "
                          f"must be a mapping of librdkafka property to value, not {kind(raw)}.")
    for key, value in raw.items():
        at = doc.where("profiles", name, "properties", str(key))
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(f"{at}: property names must be non-empty strings, not {key!r}.")
        key = key.strip()
        if key == "bootstrap.servers":
            raise ConfigError(f"{at}: set the servers with the profile's `bootstrap:` key, "
                              "not as a property.")
        if is_python_callback(key):
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


def _parse_secrets(name: str, raw: Any, base: Path, doc: Document, environ: Mapping[str, str] | None,
                   build: _Build) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict):
        raise ConfigError(f"{doc.where('profiles', name, 'secrets')}: `secrets` of profile {name!r} must "
                          f"map property names to {{file: PATH}} or {{env: NAME}}, not {kind(raw)}.")
    env = os.environ if environ is None else environ
    for key, source in raw.items():
        at = doc.where("profiles", name, "secrets", str(key))
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(f"{at}: secret names must be non-empty property names, not {key!r}.")
        key = key.strip()
        if key in build.properties:
            raise ConfigError(f"{at}: {key} is given both in `properties` and in `secrets`; keep one.")
        if not isinstance(source, dict) or len(source) != 1 or next(iter(source)) not in SECRET_SOURCES:
            raise ConfigError(f"{at}: secret {key} must be {{file: PATH}} or {{env: NAME}}.")
        origin_kind, target = next(iter(source.items()))
        target_text = _scalar(target, f"secret {key} {origin_kind}", at)
        if origin_kind == "env":
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


def _bootstrap(name: str, raw: Any, doc: Document, environ: Mapping[str, str] | None) -> str:
    at = doc.where("profiles", name, "bootstrap")
    if raw is None:
        raise ConfigError(f"{doc.where('profiles', name)}: profile {name!r} needs `bootstrap: HOST:PORT` "
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


def _lab_target(name: str, raw: dict[str, Any], base: Path, doc: Document,
                environ: Mapping[str, str] | None, build: _Build) -> tuple[str, Path, bool]:
    """Bootstrap servers, state dir and secure flag of a ``lab: true`` profile ("" when no lab)."""
    if "bootstrap" in raw:
        raise ConfigError(f"{doc.where('profiles', name, 'bootstrap')}: profile {name!r} is a lab profile; "
                          "it takes its bootstrap servers from the lab, remove `bootstrap`.")
    secure = get_bool(doc.at("profiles", name, "secure"), raw, "secure", False)
    state_raw = raw.get("state_dir")
    if state_raw is None:
        state_dir = paths.lab_dir()
    else:
        at = doc.where("profiles", name, "state_dir")
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
        raise ConfigError(f"{doc.where('profiles', name, 'secure')}: profile {name!r} asks for the lab's "
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


def _parse_profile(name: str, raw: Any, source: Path, doc: Document,
                   environ: Mapping[str, str] | None) -> Profile:
    at = doc.where("profiles", name)
    if not isinstance(raw, dict):
        raise ConfigError(f"{at}: profile {name!r} must be a mapping (bootstrap, properties, ...), "
                          f"not {kind(raw)}.")
    for key in raw:
        if key not in PROFILE_KEYS:
            raise ConfigError(f"{doc.where('profiles', name, str(key))}: unknown key {key!r} in profile "
                              f"{name!r}; allowed: {', '.join(PROFILE_KEYS)}.")
    description = raw.get("description") or ""
    if not isinstance(description, str):
        raise ConfigError(f"{doc.where('profiles', name, 'description')}: `description` must be text, "
                          f"not {kind(description)}.")
    lab = get_bool(doc.at("profiles", name, "lab"), raw, "lab", False)
    if not lab:
        for key in ("state_dir", "secure"):
            if key in raw:
                raise ConfigError(f"{doc.where('profiles', name, key)}: `{key}` only applies to a lab "
                                  "profile (`lab: true`).")
    base = source.parent
    build = _Build()
    _parse_properties(name, raw.get("properties"), doc, environ, build)
    _parse_secrets(name, raw.get("secrets"), base, doc, environ, build)
    lab_dir: Path | None = None
    secure = False
    if lab:
        bootstrap, lab_dir, secure = _lab_target(name, raw, base, doc, environ, build)
    else:
        bootstrap = _bootstrap(name, raw.get("bootstrap"), doc, environ)
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
    return _profiles(yamldoc.parse(text, str(source), error=ConfigError), source, environ)


def _profiles(doc: Document, source: Path, environ: Mapping[str, str] | None) -> dict[str, Profile]:
    data = doc.data
    if data is None:
        raise ConfigError(f"{source} is empty; it needs a top-level `profiles:` mapping.")
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping with a `profiles:` key, not "
                          f"{kind(data)}.")
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise ConfigError(f"{doc.where(str(key))}: unknown top-level key {key!r}; the file holds "
                              "`profiles:` only.")
    raw_profiles = data.get("profiles")
    if not isinstance(raw_profiles, dict) or not raw_profiles:
        raise ConfigError(f"{doc.where('profiles')}: `profiles` must be a non-empty mapping of profile "
                          "names to profiles.")
    profiles: dict[str, Profile] = {}
    for name, raw in raw_profiles.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigError(f"{doc.where('profiles', str(name))}: profile names are letters, digits, "
                              f"'.', '_' and '-', not {name!r}.")
        profiles[name] = _parse_profile(name, raw, source, doc, environ)
    return profiles


def load_profiles(path: Path | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Profile]:
    """Every profile of the file at ``path`` (default: :func:`default_path`). Raises ConfigError."""
    source = (Path(path).expanduser() if path is not None else default_path()).absolute()
    return _profiles(_read(source), source, environ)


def load_profile(name: str, path: Path | None = None, validate: bool = True) -> Profile:
    """The profile ``name``, its properties checked by librdkafka (``validate``, a few ms, no
    network); its warnings are logged. Raises ConfigError (one sentence)."""
    source = Path(path).expanduser() if path is not None else default_path()
    if path is None and not source.exists():
        raise ConfigError(f"Profile {name!r} was asked for, but {source} does not exist; create it or "
                          "pass --config FILE.")
    source = source.absolute()
    doc = _read(source)
    profiles = _profiles(doc, source, None)
    profile = profiles.get(name)
    if profile is None:
        raise ConfigError(f"{source} has no profile {name!r}; it has: {', '.join(sorted(profiles))}.")
    if profile.lab_dir is not None and not profile.bootstrap:
        raise ConfigError(f"Profile {name!r} uses the local lab in {profile.lab_dir}, but no lab cluster "
                          "exists there; start it with `kafka-explorer lab up`.")
    if validate:
        validate_profile(profile, doc.lines)
    for warning in profile.warnings:
        LOG.warning("%s", warning)
    return profile


# ---- validation with librdkafka -------------------------------------------------------------------


def validate_profile(profile: Profile, lines: Mapping[KeyPath, int] | None = None) -> None:
    """:func:`tui.kafka.properties.validate_properties` for a profile, errors naming its file and
    line (``lines``: the key lines of its document)."""
    doc = Document(source=str(profile.source), data=None, lines=lines or {}, error=ConfigError)

    def locate(key: str) -> str:
        if key and key in profile.properties:
            for section in ("properties", "secrets"):
                if ("profiles", profile.name, section, key) in doc.lines:
                    return f"{doc.where('profiles', profile.name, section, key)}: profile {profile.name!r}"
        return f"{doc.where('profiles', profile.name)}: profile {profile.name!r}"

    # values taken from the environment or files are not echoed either: the loader cannot know
    # that ${KX_PW} under a harmless key holds no secret
    interpolated = [profile.properties[k] for k in profile.origins if k in profile.properties]
    try:
        validate_properties(profile.properties, locate, [*profile.secret_values(), *interpolated])
    except PropertyError as exc:
        raise ConfigError(exc.sentence) from None


def check_file(path: Path, environ: Mapping[str, str] | None = None,
               validate: bool = True) -> list[str]:
    """Load every profile of ``path`` and (``validate``) let librdkafka check their properties.

    Returns the warnings; raises :class:`ConfigError` on the first error.
    """
    _profiles_found, warnings = inspect_file(path, environ, validate)
    return warnings


def inspect_file(path: Path, environ: Mapping[str, str] | None = None,
                 validate: bool = True) -> tuple[dict[str, Profile], list[str]]:
    """Like :func:`check_file`, also returning the profiles."""
    source = Path(path).expanduser().absolute()
    doc = _read(source)
    profiles = _profiles(doc, source, environ)
    if validate:
        for profile in profiles.values():
            validate_profile(profile, doc.lines)
    warnings: list[str] = []
    for profile in profiles.values():
        for warning in profile.warnings:
            if warning not in warnings:
                warnings.append(warning)
    return profiles, warnings


__all__ = [
    "ConfigError", "Profile", "check_file", "default_path", "inspect_file", "interpolate", "load_profile",
    "load_profiles", "parse_profiles", "probe_connection", "validate_profile",
]
