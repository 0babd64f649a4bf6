"""Fetching Apache Kafka jars with Maven into the user cache, one folder per version (or using
``$KAFKA_HOME/libs``).

The package ships one pom (``kafka_runtime/pom.xml``); each version gets a copy with its
``kafka.version`` substituted in ``<cache>/kafka-<version>/pom.xml``, fetched once, under a file lock
so two programs starting labs at once do not fetch into the same folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

from tui import paths
from tui.lab.errors import LabError
from tui.lab.java import maven_executable
from tui.vocab import DEFAULT_KAFKA_VERSION, KafkaVersion, parse

Progress = Callable[[str], None]

_DOWNLOADED = re.compile(r"Downloaded from \S+: (\S+) \(([\d.]+) (B|kB|MB)")
_UNIT = {"B": 1, "kB": 1024, "MB": 1024 * 1024}
_VERSION_PROPERTY = re.compile(r"<kafka\.version>[^<]*</kafka\.version>")
_CORE_JAR = re.compile(r"kafka_2\.13-(\d+\.\d+\.\d+)\.jar")


def requested_version(value: str | None) -> str | None:
    """A ``--kafka-version`` value checked against the versions the lab knows (None: not asked)."""
    if value is None:
        return None
    try:
        return str(parse(KafkaVersion, value, "Kafka version"))
    except ValueError as exc:
        raise LabError(str(exc)) from None


DEFAULT_VERSION_ENV = "KX_KAFKA_VERSION"


def default_version() -> str:
    """The Kafka of new labs: ``$KX_KAFKA_VERSION`` (e.g. to run the whole suite on another version),
    else :data:`tui.vocab.DEFAULT_KAFKA_VERSION`."""
    override = os.environ.get(DEFAULT_VERSION_ENV)
    if override:
        try:
            return str(parse(KafkaVersion, override, f"Kafka version in ${DEFAULT_VERSION_ENV}"))
        except ValueError as exc:
            raise LabError(str(exc)) from None
    return str(DEFAULT_KAFKA_VERSION)


def jar_dir(version: str | None = None) -> Path:
    """Where the fetched jars of ``version`` (default: :func:`default_version`) live (not created)."""
    return paths.cache_dir() / f"kafka-{version or default_version()}" / "libs"


def _usable(libs: Path) -> bool:
    return libs.is_dir() and any(libs.glob("kafka_2.13-*.jar")) and any(libs.glob("kafka-tools-*.jar"))


def jar_version(libs: Path) -> str | None:
    """The Kafka version of a jar folder, read from its ``kafka_2.13-<version>.jar``."""
    for jar in sorted(libs.glob("kafka_2.13-*.jar")):
        match = _CORE_JAR.fullmatch(jar.name)
        if match:
            return match.group(1)
    return None


def _kafka_home_libs(version: str | None) -> tuple[Path, str] | None:
    """``$KAFKA_HOME/libs`` and its version when KAFKA_HOME is set; LabError when it cannot serve."""
    kafka_home = os.environ.get("KAFKA_HOME")
    if not kafka_home:
        return None
    libs = Path(kafka_home) / "libs"
    found = jar_version(libs)
    if found is None:
        raise LabError(f"KAFKA_HOME is set to {kafka_home}, but {libs} holds no kafka_2.13 jar.")
    if version is not None and found != version:
        raise LabError(f"KAFKA_HOME ({kafka_home}) holds Kafka {found}, not {version}; unset "
                       f"KAFKA_HOME to fetch {version} with Maven, or ask for {found}.")
    return libs, found


def runtime_version(version: str | None) -> str:
    """The Kafka version a new lab runs: ``$KAFKA_HOME``'s, else ``version``, else the default."""
    home = _kafka_home_libs(version)
    if home is not None:
        return home[1]
    return version or default_version()


def ensure_jars(progress: Progress | None = None, version: str | None = None) -> Path:
    """A directory holding the broker and tools jars of ``version``, fetched on first use."""
    home = _kafka_home_libs(version)
    if home is not None:
        return home[0]
    version = version or default_version()
    libs = jar_dir(version)
    if (libs / ".complete").exists() and _usable(libs):
        return libs
    paths.ensure(libs.parent)
    with _fetch_lock(libs.parent):
        if (libs / ".complete").exists() and _usable(libs):  # another program fetched it meanwhile
            return libs
        _fetch(version, libs, progress or (lambda _msg: None))
    return libs


@contextlib.contextmanager
def _fetch_lock(folder: Path) -> Iterator[None]:
    with (folder / ".fetch.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def versioned_pom(version: str) -> str:
    """The package's pom with ``kafka.version`` set to ``version``."""
    text = resources.files("tui.lab").joinpath("kafka_runtime/pom.xml").read_text()
    pom, count = _VERSION_PROPERTY.subn(f"<kafka.version>{version}</kafka.version>", text)
    if count != 1:
        raise LabError("The packaged pom.xml has no single <kafka.version> property; reinstall "
                       "kafka-explorer.")
    return pom


def _fetch(version: str, libs: Path, say: Progress) -> None:
    mvn = maven_executable()
    staging = libs.with_name("libs.partial")
    shutil.rmtree(staging, ignore_errors=True)
    pom_path = libs.parent / "pom.xml"
    pom_path.write_text(versioned_pom(version))
    say(f"Fetching Apache Kafka {version} jars with Maven (first use of this version, ~55 MB)...")
    cmd = [mvn, "-B", "-f", str(pom_path), "dependency:copy-dependencies",
           f"-DoutputDirectory={staging}"]
    tail: list[str] = []
    fetched_bytes = 0
    fetched_files = 0
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, cwd=str(libs.parent))
    except OSError as exc:
        raise LabError(f"Maven could not be started ({exc}).") from exc
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        tail = (tail + [line])[-25:]
        match = _DOWNLOADED.search(line)
        if match:
            fetched_files += 1
            fetched_bytes += int(float(match.group(2)) * _UNIT[match.group(3)])
            if match.group(1).endswith(".jar") and fetched_files % 5 == 0:
                say(f"  downloaded {fetched_files} files, {fetched_bytes / 1e6:.1f} MB")
    code = proc.wait()
    if code != 0 or not _usable(staging):
        shutil.rmtree(staging, ignore_errors=True)
        raise LabError(maven_failure(version, code, tail))
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
    (libs / ".complete").write_text(version)
    size = sum(p.stat().st_size for p in libs.glob("*.jar"))
    say(f"Kafka {version} jars ready: {len(list(libs.glob('*.jar')))} jars, {size / 1e6:.0f} MB in {libs}")


def maven_failure(version: str, code: int, tail: list[str]) -> str:
    """One sentence for a failed fetch, from the last lines Maven printed."""
    text = "\n".join(tail)
    missing = re.search(r"Could not find artifact (org\.apache\.kafka:[\w.-]+:\w+:[\w.-]+)", text)
    if missing or re.search(r"org\.apache\.kafka:[\w.-]+:\w+:" + re.escape(version) + r".{0,40}"
                            r"(?:was not found|not found in)", text):
        artifact = missing.group(1) if missing else f"org.apache.kafka:kafka_2.13:jar:{version}"
        return (f"Maven Central does not serve Apache Kafka {version} ({artifact} was not found); "
                f"choose one of {', '.join(KafkaVersion)}.")
    if re.search(r"Could not transfer|Unknown host|Connection refused|timed out|Network is unreachable",
                 text, re.IGNORECASE):
        return (f"Maven could not reach Maven Central to fetch Apache Kafka {version}; check the "
                "network or proxy settings (~/.m2/settings.xml), or set KAFKA_HOME to an unpacked "
                "Kafka.")
    errors = [t for t in tail if "ERROR" in t] or tail
    detail = " ".join(e.replace("[ERROR]", "").strip() for e in errors[:3])[:400]
    return f"Fetching the Kafka {version} jars with Maven failed (exit {code}): {detail}"


def classpath(libs: Path) -> str:
    """The JVM classpath for a jar folder (Java expands the wildcard itself)."""
    return str(libs / "*")
