"""A real HBase for tests and benchmarks: standalone HBase and its Thrift1 gateway.

The jars come from Maven Central through the dependency-only ``hbase_maven/pom.xml``
beside this module (``mvn dependency:build-classpath`` fetches them into ``~/.m2`` once
and prints the classpath, which is cached under ``~/.cache/drift-store``). Every start
uses a fresh directory and free loopback ports; :meth:`HBaseServer.stop` stops both JVMs
by pid and deletes the directory.

Needs ``java`` (17) and ``mvn`` on ``PATH``. From a shell::

    python -m drift_store.testing.hbase_server --fetch   # only resolve the jars
    python -m drift_store.testing.hbase_server           # run one until Ctrl-C
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import hashlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Final

from drift_store.testing._processes import free_port, stop_process, wait_until

__all__ = ["HBaseServer", "HBaseStartError", "fetch_classpath", "unavailable_reason"]

ENABLE_HINT: Final = (
    "install a JDK 17 and Maven (apt-get install -y openjdk-17-jdk-headless maven) to run "
    "the HBase tests; .ci/run installs them and runs these tests in CI"
)
_READY_LINE: Final = "Master has completed initialization"
_JVM_FLAGS: Final = (
    "-Dorg.apache.hbase.thirdparty.io.netty.tryReflectionSetAccessible=true",
    "--add-modules", "jdk.unsupported",
    "--add-opens", "java.base/java.io=ALL-UNNAMED",
    "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens", "java.base/java.util=ALL-UNNAMED",
    "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports", "java.security.jgss/sun.security.krb5=ALL-UNNAMED",
    "--add-exports", "java.base/sun.net.dns=ALL-UNNAMED",
    "--add-exports", "java.base/sun.net.util=ALL-UNNAMED",
    "-Djava.net.preferIPv4Stack=true",
)  # fmt: skip
_LOG4J2: Final = """\
status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{ISO8601} %-5p [%t] %c{2}: %m%n
rootLogger = WARN, console
logger.master.name = org.apache.hadoop.hbase.master.HMaster
logger.master.level = INFO
logger.thrift.name = org.apache.hadoop.hbase.thrift
logger.thrift.level = INFO
"""


class HBaseStartError(RuntimeError):
    """HBase did not come up; the message holds the tail of its log."""


def unavailable_reason() -> str | None:
    """Why no HBase can be started here (no ``java`` or ``mvn``), or ``None``."""
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found on PATH; {ENABLE_HINT}"
    return None


def _pom() -> Path:
    return Path(str(resources.files("drift_store.testing") / "hbase_maven" / "pom.xml"))


def fetch_classpath(*, cache_dir: Path | None = None) -> str:
    """Resolve the HBase jars (downloading them into ``~/.m2`` once); return the classpath.

    Raises:
        HBaseStartError: when Maven fails (its output is in the message).
    """
    pom = _pom()
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()[:16]
    cache = (cache_dir or Path.home() / ".cache" / "drift-store") / f"hbase-{digest}.classpath"
    if cache.is_file():
        classpath = cache.read_text().strip()
        if all(Path(jar).is_file() for jar in classpath.split(":")):
            return classpath
    cache.parent.mkdir(parents=True, exist_ok=True)
    output = cache.with_suffix(".tmp")
    result = subprocess.run(  # noqa: S603 -- fixed arguments, mvn found on PATH
        [
            shutil.which("mvn") or "mvn",
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:build-classpath",
            "-Dmdep.includeScope=runtime",
            f"-Dmdep.outputFile={output}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if result.returncode != 0 or not output.is_file():
        msg = (
            f"mvn could not resolve the HBase jars:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
        raise HBaseStartError(msg)
    output.replace(cache)
    return cache.read_text().strip()


def _site(directory: Path, zookeeper_port: int) -> str:
    properties = {
        "hbase.cluster.distributed": "false",
        "hbase.rootdir": f"file://{directory}/hbase",
        "hbase.tmp.dir": str(directory / "tmp"),
        "hbase.zookeeper.property.dataDir": str(directory / "zk"),
        "hbase.zookeeper.property.clientPort": str(zookeeper_port),
        "hbase.zookeeper.quorum": "127.0.0.1",
        "hbase.unsafe.stream.capability.enforce": "false",
        "hbase.master.info.port": "-1",
        "hbase.regionserver.info.port": "-1",
        "hbase.thrift.info.port": "-1",
        "hbase.localcluster.assign.random.ports": "true",
        "hbase.master.wait.on.regionservers.maxtostart": "1",
        "hbase.thrift.server.socket.read.timeout": "600000",
        "hbase.master.hostname": "localhost",
        "hbase.unsafe.regionserver.hostname": "localhost",
        # Standalone HBase gives its ZooKeeper session 10 s: on a busy test machine a
        # JVM starved for longer loses it and the master aborts for good.
        "zookeeper.session.timeout.localHBaseCluster": "120000",
        "hbase.zookeeper.property.maxSessionTimeout": "180000",
    }
    body = "".join(
        f"  <property><name>{name}</name><value>{value}</value></property>\n"
        for name, value in properties.items()
    )
    return f'<?xml version="1.0"?>\n<configuration>\n{body}</configuration>\n'


@dataclass
class HBaseServer:
    """A running standalone HBase with its Thrift1 gateway (see :meth:`start`).

    Attributes:
        thrift_port: the Thrift1 gateway's port on 127.0.0.1.
        directory: where its data, configuration and logs live.
    """

    thrift_port: int
    directory: Path
    _master: subprocess.Popen[bytes] = field(repr=False)
    _thrift: subprocess.Popen[bytes] = field(repr=False)
    _owns_directory: bool = field(default=False, repr=False)
    _thrift_command: list[str] = field(default_factory=list, repr=False)

    @property
    def url(self) -> str:
        """The store URL of this server (add ``?prefix=…`` to keep tables apart)."""
        return f"hbase://127.0.0.1:{self.thrift_port}"

    @property
    def pids(self) -> tuple[int, int]:
        """The pids of the master and Thrift JVMs."""
        return self._master.pid, self._thrift.pid

    @classmethod
    def start(cls, directory: Path | None = None, *, timeout: float = 300.0) -> HBaseServer:
        """Start HBase and its Thrift gateway on free ports; wait until both serve.

        Args:
            directory: an empty directory to use (a temporary one by default, deleted
                on :meth:`stop`).
            timeout: seconds to wait for the master and the gateway.

        Raises:
            HBaseStartError: when Java or Maven is missing or HBase does not come up.
        """
        reason = unavailable_reason()
        if reason is not None:
            raise HBaseStartError(reason)
        classpath = fetch_classpath()
        owns = directory is None
        root = Path(tempfile.mkdtemp(prefix="drift-hbase-")) if directory is None else directory
        conf = root / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "hbase-site.xml").write_text(_site(root, free_port()))
        (conf / "log4j2.properties").write_text(_LOG4J2)
        java = shutil.which("java") or "java"
        base = [java, *_JVM_FLAGS, f"-Dlog4j2.configurationFile={conf / 'log4j2.properties'}"]
        cp = f"{conf}:{classpath}"
        master_log = root / "master.log"
        thrift_log = root / "thrift.log"
        thrift_port = free_port()
        with master_log.open("wb") as out:
            master = subprocess.Popen(  # noqa: S603
                [*base, "-Xmx768m", "-cp", cp, "org.apache.hadoop.hbase.master.HMaster", "start"],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=root,
                start_new_session=True,
            )
        thrift_command = [
            *base, "-Xmx256m", "-cp", cp, "org.apache.hadoop.hbase.thrift.ThriftServer",
            "-p", str(thrift_port), "--infoport", "-1", "start",
        ]  # fmt: skip
        thrift = _launch(thrift_command, thrift_log, root)
        server = cls(thrift_port, root, master, thrift, owns, thrift_command)
        try:
            server._wait(master_log, thrift_log, timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def _wait(self, master_log: Path, thrift_log: Path, timeout: float) -> None:
        deadline = time.monotonic() + timeout

        def master_ready() -> bool:
            if self._master.poll() is not None or self._thrift.poll() is not None:
                return True
            return _READY_LINE in master_log.read_text(errors="replace")

        wait_until(master_ready, timeout=timeout, interval=0.25)
        for process, log in ((self._master, master_log), (self._thrift, thrift_log)):
            if process.poll() is not None:
                msg = f"HBase exited with code {process.returncode}; {log}:\n{_tail(log)}"
                raise HBaseStartError(msg)
        if _READY_LINE not in master_log.read_text(errors="replace"):
            msg = (
                f"HBase master not ready after {timeout:.0f} s; {master_log}:\n{_tail(master_log)}"
            )
            raise HBaseStartError(msg)
        # The gateway answers tables() only once it can reach the master.
        while not asyncio.run(_thrift_answers(self.thrift_port)):
            if time.monotonic() > deadline:
                msg = f"HBase Thrift gateway not answering; {thrift_log}:\n{_tail(thrift_log)}"
                raise HBaseStartError(msg)
            time.sleep(0.25)

    def stop_thrift(self) -> None:
        """Stop the Thrift gateway (SIGTERM, as a graceful restart does); HBase keeps running."""
        stop_process(self._thrift)

    def kill_thrift(self) -> None:
        """Kill the Thrift gateway at once (SIGKILL, as a crash does)."""
        if self._thrift.poll() is None:
            self._thrift.kill()
            self._thrift.wait(30)

    def start_thrift(self, *, timeout: float = 120.0) -> None:
        """Start the Thrift gateway again on the same port; wait until it answers.

        Raises:
            HBaseStartError: when it does not answer within ``timeout`` seconds.
        """
        if self._thrift.poll() is None:
            return
        log = self.directory / "thrift.log"
        self._thrift = _launch(self._thrift_command, log, self.directory)
        deadline = time.monotonic() + timeout
        while not _answers_from_a_thread(self.thrift_port):
            if self._thrift.poll() is not None or time.monotonic() > deadline:
                msg = f"HBase Thrift gateway did not come back; {log}:\n{_tail(log)}"
                raise HBaseStartError(msg)
            time.sleep(0.25)

    def restart_thrift(self) -> None:
        """Stop the Thrift gateway gracefully and start it again on the same port."""
        self.stop_thrift()
        self.start_thrift()

    def stop(self) -> None:
        """Stop both JVMs by pid and delete the directory if this server created it."""
        stop_process(self._thrift)
        stop_process(self._master)
        if self._owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)


def _launch(command: list[str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 -- our own java command line
            command, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True
        )


def _answers_from_a_thread(port: int) -> bool:
    # Callable from a coroutine too (a test may restart the gateway from async code).
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, _thrift_answers(port)).result()


async def _thrift_answers(port: int) -> bool:
    from drift_store._hbase_client import thrift_answers  # noqa: PLC0415

    return await thrift_answers("127.0.0.1", port)


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Resolve the jars (``--fetch``) or run an HBase until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--fetch", action="store_true", help="only resolve the jars, then exit")
    args = parser.parse_args(argv)
    reason = unavailable_reason()
    if reason is not None:
        print(reason, file=sys.stderr)  # noqa: T201
        return 1
    if args.fetch:
        classpath = fetch_classpath()
        print(f"HBase classpath ready: {len(classpath.split(':'))} jars")  # noqa: T201
        return 0
    server = HBaseServer.start()
    print(f"HBase ready: {server.url} (pids {server.pids}); Ctrl-C stops it", flush=True)  # noqa: T201
    # Stop on SIGTERM too (a background job ignores Ctrl-C's SIGINT).
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
