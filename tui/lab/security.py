"""The lab's secure listener: SASL/SCRAM-SHA-512 (``sasl-scram``) or TLS (``ssl``) beside PLAINTEXT.

``kafka-explorer lab up --security sasl-scram|ssl`` adds a listener ``SECURE://127.0.0.1:<port>``
to every node. PLAINTEXT and the controller listener stay as they are: the lab tooling, inter-broker
replication and the tests keep using them.

Files in ``<state dir>/security/`` (directory 0700, secrets 0600):

* ``kx-user.password``: the SCRAM password of user ``kx-user``, generated once per lab; the
  credential is written into the cluster metadata at format time (``StorageTool format
  --add-scram``), so no broker ever needs it in a config file;
* ``store.password``: the password of the lab's PKCS#12 stores (``ssl`` only);
* ``ca.p12`` (the lab CA), ``broker.p12`` (key + certificate for 127.0.0.1/localhost, signed by
  the CA), ``truststore.p12`` and ``ca.pem`` (the CA certificate for librdkafka's
  ``ssl.ca.location``), all made once with the JDK's ``keytool``.

The StorageTool call briefly carries the SCRAM password in its argv (the tool has no other input);
it is a per-lab random password for a loopback-only cluster.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

from tui.lab.errors import LabError
from tui.lab.spec import LabSpec, load_spec

SCRAM_USER = "kx-user"
SCRAM_MECHANISM = "SCRAM-SHA-512"
LISTENER = "SECURE"
SECURITY_DIR = "security"
PASSWORD_FILE = "kx-user.password"
STORE_PASSWORD_FILE = "store.password"
CA_PEM = "ca.pem"
_DNAME_CA = "CN=kafka-explorer lab CA,O=kafka-explorer"
_DNAME_BROKER = "CN=127.0.0.1,O=kafka-explorer"
_SAN = "SAN=ip:127.0.0.1,dns:localhost"
_VALIDITY_DAYS = "3650"

def security_dir(state_dir: Path) -> Path:
    return Path(state_dir) / SECURITY_DIR


def _private_dir(state_dir: Path) -> Path:
    path = security_dir(state_dir)
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` with mode 0600 from the start (no window where it is world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    path.chmod(0o600)


def _ensure_secret(state_dir: Path, name: str) -> str:
    """A random secret stored in the state dir, created on first use; alphanumeric so it fits the
    ``--add-scram`` and properties syntaxes without quoting."""
    path = _private_dir(state_dir) / name
    try:
        value = path.read_text().strip()
    except FileNotFoundError:
        value = ""
    if not value:
        value = secrets.token_hex(16)
        _write_private(path, value + "\n")
    return value


def scram_password(state_dir: Path) -> str:
    """The lab's SCRAM password (created on first use)."""
    return _ensure_secret(state_dir, PASSWORD_FILE)


def password_file(state_dir: Path) -> Path:
    return security_dir(state_dir) / PASSWORD_FILE


def ca_pem(state_dir: Path) -> Path:
    return security_dir(state_dir) / CA_PEM


# ---- broker side ---------------------------------------------------------------------------------


def secure_listener_properties(spec: LabSpec, node_id: int, run_dir: Path) -> dict[str, str]:
    """``server.properties`` entries adding ``SECURE://127.0.0.1:<secure port>`` to node ``node_id``.

    They are appended after the generated defaults, and later keys win in a properties file, so the
    listener keys are returned in full (PLAINTEXT and CONTROLLER included).
    """
    ports = spec.ports[node_id]
    if ports.secure is None:
        raise LabError(f"Node {node_id} has no secure port; run `kafka-explorer lab reset` and start "
                       f"the lab again with --security {spec.security}.")
    protocol = {"sasl-scram": "SASL_PLAINTEXT", "ssl": "SSL"}.get(spec.security)
    if protocol is None:
        raise LabError(f"Security mode {spec.security!r} has no secure listener.")
    prefix = f"listener.name.{LISTENER.lower()}."
    props = {
        "listeners": f"PLAINTEXT://127.0.0.1:{ports.broker},CONTROLLER://127.0.0.1:{ports.controller},"
                     f"{LISTENER}://127.0.0.1:{ports.secure}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{ports.broker},{LISTENER}://127.0.0.1:{ports.secure}",
        "listener.security.protocol.map": f"PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,{LISTENER}:{protocol}",
    }
    if spec.security == "sasl-scram":
        scram_password(run_dir)  # created now so format (next step) and clients agree on it
        props.update({
            "sasl.enabled.mechanisms": SCRAM_MECHANISM,
            f"{prefix}sasl.enabled.mechanisms": SCRAM_MECHANISM,
            f"{prefix}{SCRAM_MECHANISM.lower()}.sasl.jaas.config":
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        })
    else:
        store = ensure_certificates(run_dir)
        store_password = _ensure_secret(run_dir, STORE_PASSWORD_FILE)
        props.update({
            f"{prefix}ssl.keystore.location": str(store),
            f"{prefix}ssl.keystore.type": "PKCS12",
            f"{prefix}ssl.keystore.password": store_password,
            f"{prefix}ssl.key.password": store_password,
            f"{prefix}ssl.client.auth": "none",
        })
    return props


def format_scram_args(state_dir: Path) -> list[str]:
    """The ``StorageTool format`` arguments creating the SCRAM user ``kx-user`` of the lab in
    ``state_dir`` (its password is made on first use and kept in the state dir)."""
    password = scram_password(state_dir)
    return ["--add-scram", f"{SCRAM_MECHANISM}=[name={SCRAM_USER},password={password}]"]


def _keytool() -> str:
    # the keytool of the Java that runs the lab; found without starting a JVM (java -version)
    java_home = os.environ.get("JAVA_HOME")
    java = Path(java_home) / "bin" / "java" if java_home else shutil.which("java")
    candidate = Path(java).resolve().parent / "keytool" if java else None
    if candidate is not None and candidate.exists():
        return str(candidate)
    found = shutil.which("keytool")
    if not found:
        raise LabError("Java's keytool was not found; it ships with the Java runtime (e.g. `sudo apt-get "
                       "install openjdk-17-jre-headless`) and is needed for --security ssl.")
    return found


def _run_keytools(keytool: str, env: dict[str, str], steps: list[list[str]]) -> None:
    """Run keytool invocations side by side and wait for all; any failure is a LabError."""
    flags = ["-J-Xmx64m", "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto"]
    procs: list[tuple[list[str], subprocess.Popen[str]]] = []
    try:
        for args in steps:
            procs.append((args, subprocess.Popen(
                [keytool, *flags, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, text=True, env=env)))
        for args, proc in procs:
            out, _ = proc.communicate(timeout=120)
            if proc.returncode != 0:
                detail = " ".join(out.split())[:300]
                raise LabError(f"keytool {args[0]} failed while making the lab certificates: {detail}")
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"keytool could not be run ({exc}).") from exc
    finally:
        for _args, proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def ensure_certificates(state_dir: Path) -> Path:
    """Make the lab CA, the broker keystore, a truststore and ``ca.pem`` once; return the keystore.

    Store passwords reach keytool through the environment (``-storepass:env``), never its argv.
    """
    directory = _private_dir(state_dir)
    broker = directory / "broker.p12"
    pem = directory / CA_PEM
    if broker.exists() and pem.exists() and (directory / "truststore.p12").exists():
        return broker
    for stale in ("ca.p12", "broker.p12", "truststore.p12", "broker.csr", "broker.crt", "broker-chain.pem",
                  CA_PEM):
        (directory / stale).unlink(missing_ok=True)
    keytool = _keytool()
    env = {**os.environ, "KX_STOREPASS": _ensure_secret(state_dir, STORE_PASSWORD_FILE)}
    store = ["-storetype", "PKCS12", "-storepass:env", "KX_STOREPASS"]
    key = ["-keyalg", "EC", "-groupname", "secp256r1", "-validity", _VALIDITY_DAYS]
    ca, csr, crt = directory / "ca.p12", directory / "broker.csr", directory / "broker.crt"
    chain = directory / "broker-chain.pem"
    # four rounds of at most two keytool JVMs each (not eight in a row): the steps of one round
    # touch different files
    _run_keytools(keytool, env, [
        ["-genkeypair", "-alias", "ca", "-dname", _DNAME_CA, "-ext", "bc:c", *key,
         "-keystore", str(ca), *store],
        ["-genkeypair", "-alias", "broker", "-dname", _DNAME_BROKER, "-ext", _SAN, *key,
         "-keystore", str(broker), *store],
    ])
    _run_keytools(keytool, env, [
        ["-exportcert", "-rfc", "-alias", "ca", "-file", str(pem), "-keystore", str(ca), *store],
        ["-certreq", "-alias", "broker", "-file", str(csr), "-keystore", str(broker), *store],
    ])
    _run_keytools(keytool, env, [
        ["-gencert", "-alias", "ca", "-infile", str(csr), "-outfile", str(crt), "-rfc", "-ext", _SAN,
         "-validity", _VALIDITY_DAYS, "-keystore", str(ca), *store],
        ["-importcert", "-alias", "ca", "-file", str(pem), "-noprompt",
         "-keystore", str(directory / "truststore.p12"), *store],
    ])
    # the signed certificate plus the CA: the broker presents the whole chain
    chain.write_text(crt.read_text() + pem.read_text())
    _run_keytools(keytool, env, [
        ["-importcert", "-alias", "broker", "-file", str(chain), "-noprompt", "-keystore", str(broker),
         *store],
    ])
    for path in directory.iterdir():
        path.chmod(0o600)
    pem.chmod(0o644)  # the CA certificate is public; clients of other users may need it
    return broker


# ---- client side ---------------------------------------------------------------------------------


def lab_credentials(state_dir: Path) -> dict[str, str]:
    """librdkafka properties for the lab's secure listener (they include the SCRAM password: treat
    the result as secret). Empty for a plaintext lab."""
    spec = load_spec(Path(state_dir))
    if spec.security == "sasl-scram":
        return {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": SCRAM_MECHANISM,
                "sasl.username": SCRAM_USER, "sasl.password": scram_password(state_dir)}
    if spec.security == "ssl":
        return {"security.protocol": "SSL", "ssl.ca.location": str(ca_pem(state_dir))}
    return {}


def connection_snippet(state_dir: Path, name: str = "lab-secure") -> str:
    """A profiles.yaml snippet for the secure listener; the password stays in its file."""
    spec = load_spec(Path(state_dir))
    secure = spec.secure_bootstrap()
    if secure is None:
        return ""
    state = Path(state_dir).resolve()
    lines = [
        "# profiles.yaml: connect to the lab's secure listener",
        "profiles:",
        f"  {name}:",
        "    lab: true",
        f"    state_dir: {state}",
        "    secure: true",
        "  # or, spelled out for any client:",
        f"  {name}-explicit:",
        f"    bootstrap: {secure}",
    ]
    if spec.security == "sasl-scram":
        lines += [
            f"    properties: {{security.protocol: SASL_PLAINTEXT, sasl.mechanism: {SCRAM_MECHANISM}, "
            f"sasl.username: {SCRAM_USER}}}",
            f"    secrets: {{sasl.password: {{file: {password_file(state)}}}}}",
        ]
    else:
        lines.append(f"    properties: {{security.protocol: SSL, ssl.ca.location: {ca_pem(state)}}}")
    return "\n".join(lines) + "\n"
