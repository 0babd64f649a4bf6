"""Finding Java 17+ and Maven, with install advice when they are missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from tui.lab.errors import LabError

JAVA_ADVICE = (
    "install Java 17 or newer: `sudo apt-get install openjdk-17-jre-headless` (Debian/Ubuntu) "
    "or `brew install openjdk@17` (macOS)"
)
MAVEN_ADVICE = "install Maven: `sudo apt-get install maven` (Debian/Ubuntu) or `brew install maven` (macOS)"


def java_executable() -> str:
    """Path to a Java 17+ ``java``; raises :class:`LabError` with install advice otherwise."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not candidate or not Path(candidate).exists():
        raise LabError(f"Java was not found; {JAVA_ADVICE}.")
    try:
        out = subprocess.run(
            [candidate, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"Java at {candidate} could not be run ({exc}); {JAVA_ADVICE}.") from exc
    version = java_major_version(out.stderr + out.stdout)
    if version is None or version < 17:
        raise LabError(
            f"Kafka 4 needs Java 17 or newer, but {candidate} is version {version or 'unknown'}; "
            f"{JAVA_ADVICE}."
        )
    return candidate


def java_major_version(version_output: str) -> int | None:
    """Parse ``java -version`` output ('openjdk version "17.0.15"' or '"1.8.0_392"')."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):
        return int(match.group(2))
    return major


def maven_executable() -> str:
    """Path to ``mvn``; raises :class:`LabError` with install advice otherwise."""
    found = shutil.which("mvn")
    if not found:
        raise LabError(f"Maven (mvn) was not found and is needed to fetch the Kafka jars; {MAVEN_ADVICE}.")
    return found
