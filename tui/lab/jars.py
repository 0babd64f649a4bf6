"""Fetching the Kafka 4.1.1 jars with Maven into the user cache (or using ``$KAFKA_HOME/libs``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from tui import paths
from tui.lab.errors import LabError
from tui.lab.java import maven_executable

KAFKA_VERSION = "4.1.1"
Progress = Callable[[str], None]

_DOWNLOADED = re.compile(r"Downloaded from \S+: (\S+) \(([\d.]+) (B|kB|MB)")
_UNIT = {"B": 1, "kB": 1024, "MB": 1024 * 1024}


def jar_dir() -> Path:
    """Where the fetched jars live (not created here)."""
    return paths.cache_dir() / f"kafka-{KAFKA_VERSION}" / "libs"


def _usable(libs: Path) -> bool:
    return libs.is_dir() and any(libs.glob("kafka_2.13-*.jar")) and any(libs.glob("kafka-tools-*.jar"))


def ensure_jars(progress: Progress | None = None) -> Path:
    """Return a directory holding the Kafka broker and tools jars, fetching them on first use."""
    say = progress or (lambda _msg: None)
    kafka_home = os.environ.get("KAFKA_HOME")
    if kafka_home:
        libs = Path(kafka_home) / "libs"
        if not any(libs.glob("kafka_2.13-*.jar")):
            raise LabError(f"KAFKA_HOME is set to {kafka_home}, but {libs} holds no kafka_2.13 jar.")
        return libs
    libs = jar_dir()
    if (libs / ".complete").exists() and _usable(libs):
        return libs
    mvn = maven_executable()
    staging = libs.with_name("libs.partial")
    shutil.rmtree(staging, ignore_errors=True)
    paths.ensure(staging.parent)
    say(f"Fetching Apache Kafka {KAFKA_VERSION} jars with Maven (first run only, ~100 MB)...")
    pom = resources.files("tui.lab").joinpath("kafka_runtime/pom.xml")
    with resources.as_file(pom) as pom_path:
        cmd = [mvn, "-B", "-f", str(pom_path), "dependency:copy-dependencies",
               f"-DoutputDirectory={staging}"]
        tail: list[str] = []
        fetched_bytes = 0
        fetched_files = 0
        try:
            proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                text=True, cwd=str(staging.parent),
            )
        except OSError as exc:
            raise LabError(f"Maven could not be started ({exc}).") from exc
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            tail = (tail + [line])[-15:]
            match = _DOWNLOADED.search(line)
            if match:
                fetched_files += 1
                fetched_bytes += int(float(match.group(2)) * _UNIT[match.group(3)])
                if match.group(1).endswith(".jar") and fetched_files % 5 == 0:
                    say(f"  downloaded {fetched_files} files, {fetched_bytes / 1e6:.1f} MB")
        code = proc.wait()
    if code != 0 or not _usable(staging):
        errors = [t for t in tail if "ERROR" in t] or tail
        detail = " ".join(e.replace("[ERROR]", "").strip() for e in errors[:3])[:400]
        raise LabError(f"Fetching the Kafka jars with Maven failed (exit {code}): {detail}")
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
    (libs / ".complete").write_text(KAFKA_VERSION)
    size = sum(p.stat().st_size for p in libs.glob("*.jar"))
    say(f"Kafka jars ready: {len(list(libs.glob('*.jar')))} jars, {size / 1e6:.0f} MB in {libs}")
    return libs


def classpath(libs: Path) -> str:
    """The JVM classpath for a jar folder (Java expands the wildcard itself)."""
    return str(libs / "*")
