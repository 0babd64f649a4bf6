"""The secure lab for real: SASL/SCRAM and TLS listeners, right and wrong credentials, no leaked secret.

Each class owns a private 1-node lab (class scope, so only one secure JVM runs at a time).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.cimpl import NewTopic

from tests.helpers import unique, wait_until
from tui import redact
from tui.cli import main
from tui.config import load_profile
from tui.kafka import clients
from tui.kafka.probe import probe_connection
from tui.lab import LabCluster
from tui.lab.security import connection_snippet, ensure_certificates, lab_credentials, password_file

pytestmark = pytest.mark.kafka
PROBE_TIMEOUT = 4.0


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    redact.clear_secrets()
    yield
    redact.clear_secrets()


def _secure_lab(tmp_path_factory: pytest.TempPathFactory, security: str) -> Iterator[LabCluster]:
    cluster = LabCluster(tmp_path_factory.mktemp(f"lab-{security}"))
    try:
        with cluster.running(nodes=1, security=security, timeout=180):
            yield cluster
    finally:
        # a test runs `lab up` on this lab, which takes it over (a `lab up` lab outlives its owner
        # by design): stop it here, or its JVM outlives the suite
        cluster.down(timeout=20)
        assert cluster.pid(1) is None


def _secure_conf(cluster: LabCluster) -> dict[str, str]:
    bootstrap = cluster.spec.secure_bootstrap()
    assert bootstrap is not None
    return {"bootstrap.servers": bootstrap, **lab_credentials(cluster.dir)}


def _round_trip(conf: dict[str, str], count: int = 20) -> None:
    """Create a topic, produce ``count`` records and read them back, all over ``conf``'s listener."""
    topic = unique("secure")
    admin = clients.admin(conf)
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(timeout=30)
    producer = clients.producer(conf)
    delivered: list[str] = []
    for i in range(count):
        producer.produce(topic, value=f"v{i}".encode(),
                         on_delivery=lambda err, msg: delivered.append("ok" if err is None else str(err)))
    assert producer.flush(30) == 0
    assert delivered == ["ok"] * count
    consumer = clients.consumer({**conf, "group.id": unique("secure-group")})
    try:
        consumer.subscribe([topic])
        seen: list[bytes] = []

        def read_all() -> bool:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                seen.append(msg.value() or b"")
            return len(seen) >= count

        wait_until(read_all, timeout=60, message=f"{count} records read back")
        assert sorted(seen) == sorted(f"v{i}".encode() for i in range(count))
    finally:
        consumer.close()


class TestScram:
    @pytest.fixture(scope="class")
    def lab(self, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
        yield from _secure_lab(tmp_path_factory, "sasl-scram")

    def test_right_credentials_produce_and_consume(self, lab: LabCluster) -> None:
        conf = _secure_conf(lab)
        assert conf["security.protocol"] == "SASL_PLAINTEXT"
        assert conf["sasl.mechanism"] == "SCRAM-SHA-512"
        _round_trip(conf)
        assert oct(password_file(lab.dir).stat().st_mode & 0o777) == "0o600"

    def test_wrong_password_is_one_sentence_without_secrets(self, lab: LabCluster) -> None:
        conf = _secure_conf(lab)
        right = conf["sasl.password"]
        wrong = "wrong-" + right[:10]
        sentence = probe_connection(conf["bootstrap.servers"], {**conf, "sasl.password": wrong},
                                    timeout=PROBE_TIMEOUT)
        assert sentence is not None
        assert sentence.startswith("Authentication failed at 127.0.0.1:")
        assert "SASL username or password" in sentence
        assert "\n" not in sentence
        assert wrong not in sentence
        assert right not in sentence

    def test_wrong_mechanism_and_wrong_protocol(self, lab: LabCluster) -> None:
        conf = _secure_conf(lab)
        plain = probe_connection(conf["bootstrap.servers"], {**conf, "sasl.mechanism": "PLAIN"},
                                 timeout=PROBE_TIMEOUT)
        assert plain is not None
        assert "does not accept SASL mechanism PLAIN; it accepts SCRAM-SHA-512" in plain
        # a TLS client on the SASL_PLAINTEXT port, and a SASL client on the PLAINTEXT port
        tls = probe_connection(conf["bootstrap.servers"], {**conf, "security.protocol": "SASL_SSL"},
                               timeout=PROBE_TIMEOUT)
        assert tls is not None
        assert "does not speak TLS" in tls
        sasl_on_plain = probe_connection(lab.bootstrap, conf, timeout=PROBE_TIMEOUT)
        assert sasl_on_plain is not None
        assert "does not speak SASL" in sasl_on_plain
        for sentence in (plain, tls, sasl_on_plain):
            assert conf["sasl.password"] not in sentence

    def test_secret_never_reaches_log_file_or_config_check(
            self, lab: LabCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> None:
        right = lab_credentials(lab.dir)["sasl.password"]
        wrong = "not-the-password-4711"
        monkeypatch.setenv("KX_TEST_WRONG_PW", wrong)
        profiles = tmp_path / "profiles.yaml"
        profiles.write_text(connection_snippet(lab.dir, name="good").replace("# or", "# or") + (
            "  bad:\n"
            f"    bootstrap: {lab.spec.secure_bootstrap()}\n"
            "    properties: {security.protocol: SASL_PLAINTEXT, sasl.mechanism: SCRAM-SHA-512,\n"
            "                 sasl.username: kx-user, sasl.password: '${KX_TEST_WRONG_PW}'}\n"))
        profiles.chmod(0o600)

        # the app's log file, with the redacting filter fed by the loaded profiles
        log_path = tmp_path / "kafka-explorer.log"
        handler = logging.FileHandler(log_path)
        handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        good = load_profile("good-explicit", profiles)
        bad = load_profile("bad", profiles)
        redact.install_log_redaction(handler, [*good.secret_values(), *bad.secret_values()])
        app_log = logging.getLogger("kafka_explorer")
        old_level = app_log.level
        app_log.addHandler(handler)
        app_log.setLevel(logging.DEBUG)
        try:
            for profile in (good, bad):
                conf = {"bootstrap.servers": profile.bootstrap, **profile.properties,
                        "debug": "security,broker,conf"}
                app_log.info("connecting with %s", conf)  # a careless log line: must come out masked
                producer = clients.producer(conf)
                try:
                    producer.list_topics(timeout=3)
                except KafkaException as exc:
                    app_log.warning("metadata failed: %s (password was %s)", exc, profile.properties)
                producer.poll(0.5)
                producer.flush(0)
        finally:
            app_log.removeHandler(handler)
            app_log.setLevel(old_level)
            handler.close()
        log_text = log_path.read_text()
        assert "SCRAM-SHA-512" in log_text  # librdkafka's debug lines did reach the file
        assert "[redacted]" in log_text
        assert right not in log_text
        assert wrong not in log_text

        code = main(["config", "check", str(profiles), "--connect", "--timeout", str(PROBE_TIMEOUT)])
        out, err = capsys.readouterr()
        assert code == 1  # the bad profile cannot connect
        assert "connect       ok" in out
        assert "Authentication failed" in out
        assert "Traceback" not in out + err
        assert right not in out + err
        assert wrong not in out + err

    def test_lab_up_prints_a_profile_snippet_without_the_password(
            self, lab: LabCluster, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["lab", "up", "--nodes", "1", "--security", "sasl-scram",
                     "--state-dir", str(lab.dir)]) == 0
        out, err = capsys.readouterr()
        assert out.strip() == lab.bootstrap
        assert "secure: true" in err
        assert str(password_file(lab.dir)) in err
        assert lab_credentials(lab.dir)["sasl.password"] not in out + err


class TestTls:
    @pytest.fixture(scope="class")
    def lab(self, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
        yield from _secure_lab(tmp_path_factory, "ssl")

    def test_tls_produce_and_consume(self, lab: LabCluster) -> None:
        conf = _secure_conf(lab)
        assert conf["security.protocol"] == "SSL"
        assert Path(conf["ssl.ca.location"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
        _round_trip(conf)

    def test_wrong_ca_is_one_sentence(self, lab: LabCluster, tmp_path_factory: pytest.TempPathFactory) -> None:
        conf = _secure_conf(lab)
        system_ca = Path("/etc/ssl/certs/ca-certificates.crt")
        if system_ca.exists():
            other_ca = system_ca
        else:  # another lab CA: a valid certificate that did not sign the broker's
            other = tmp_path_factory.mktemp("other-ca")
            ensure_certificates(other)
            other_ca = other / "security" / "ca.pem"
        sentence = probe_connection(conf["bootstrap.servers"], {**conf, "ssl.ca.location": str(other_ca)},
                                    timeout=PROBE_TIMEOUT)
        assert sentence is not None
        assert sentence.startswith("TLS handshake failed at 127.0.0.1:")
        assert "not signed by a CA you trust" in sentence

    def test_plaintext_client_on_the_tls_port(self, lab: LabCluster) -> None:
        conf = _secure_conf(lab)
        sentence = probe_connection(conf["bootstrap.servers"], {"security.protocol": "PLAINTEXT"},
                                    timeout=3.0)
        assert sentence is not None
        assert "closed the connection" in sentence
        assert "security.protocol" in sentence

    def test_secure_lab_profile_connects(self, lab: LabCluster, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
        profiles = tmp_path / "profiles.yaml"
        profiles.write_text(f"profiles:\n  tls: {{lab: true, state_dir: {lab.dir}, secure: true}}\n")
        assert main(["config", "check", str(profiles), "--connect"]) == 0
        out, _ = capsys.readouterr()
        assert "connect       ok" in out
        assert f"ssl.ca.location = {lab.dir / 'security' / 'ca.pem'}" in out
        store_password = (lab.dir / "security" / "store.password").read_text().strip()
        props = (lab.dir / "node1" / "server.properties").read_text()
        assert f"listener.name.secure.ssl.keystore.password={store_password}" in props
        assert os.stat(lab.dir / "security").st_mode & 0o077 == 0
