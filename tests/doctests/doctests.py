"""Runs the doctests of the stock PySpark client's pyspark.sql modules against a Spark
Connect server, example by example, as each module's own Connect `_test()` sets them up.

Each module's `_test()` is called unchanged, with `doctest.testmod` swapped for a
recording one, so the globals, the examples it deletes and the option flags are
upstream's. An example is keyed `module::docstring::index`.

    doctests.py [--update] [--remote URL] [--record-spark] [MODULE...]

Without --remote it starts `flint connect-server` ($FLINT_BIN) on a free port. With
--record-spark (run with the oracle venv of tests/spark-oracle, whose pyspark carries
its JVM, and `--remote local[2]`) it writes what real Spark passes to spark.json.
"""

import argparse
import doctest
import importlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
KNOWN_FAILURES = HERE / "known_failures.txt"
FLAKY = HERE / "flaky.txt"
SPARK_RESULTS = HERE / "spark.json"

# The modules whose Connect `_test()` the client ships, by short name.
MODULES = {
    "dataframe": "pyspark.sql.connect.dataframe",
    "column": "pyspark.sql.connect.column",
    "functions": "pyspark.sql.connect.functions.builtin",
    "group": "pyspark.sql.connect.group",
    "readwriter": "pyspark.sql.connect.readwriter",
    "window": "pyspark.sql.connect.window",
    "catalog": "pyspark.sql.connect.catalog",
    "conf": "pyspark.sql.connect.conf",
    "session": "pyspark.sql.connect.session",
    "tvf": "pyspark.sql.connect.tvf",
    "observation": "pyspark.sql.connect.observation",
}

# An example that runs longer than this fails (a hang must not stop the run).
EXAMPLE_TIMEOUT_S = 60


class ExampleTimeout(Exception):
    """Raised in an example that ran past EXAMPLE_TIMEOUT_S."""


def _on_alarm(signum, frame):
    raise ExampleTimeout(f"the example ran longer than {EXAMPLE_TIMEOUT_S}s")


class RecordingRunner(doctest.DocTestRunner):
    """A DocTestRunner that records each example's outcome under its key."""

    def __init__(self, module, results, details, **kwargs):
        super().__init__(verbose=False, **kwargs)
        self.module = module
        self.results = results
        self.details = details

    def _key(self, test, example):
        return f"{self.module}::{test.name}::{test.examples.index(example)}"

    def report_start(self, out, test, example):
        global _previous_example
        if _server is not None and _server.poll() is not None:
            raise ServerExited(f"flint connect-server exited with {_server.returncode} after {_previous_example}")
        _previous_example = self._key(test, example)
        signal.alarm(EXAMPLE_TIMEOUT_S)

    def report_success(self, out, test, example, got):
        signal.alarm(0)
        self.results[self._key(test, example)] = True

    def report_failure(self, out, test, example, got):
        signal.alarm(0)
        key = self._key(test, example)
        self.results[key] = False
        self.details[key] = f"expected:\n{example.want}got:\n{got}"

    def report_unexpected_exception(self, out, test, example, exc_info):
        signal.alarm(0)
        key = self._key(test, example)
        self.results[key] = False
        self.details[key] = f"{exc_info[0].__name__}: {exc_info[1]}"


class ServerExited(Exception):
    """The Flint server under test died: the examples left would only time out."""


# The Flint server process under test (None for --remote), and the example started last.
_server = None
_previous_example = None
# Set when every module has run: the server stopping after that is expected.
_examples_done = threading.Event()


def _exit_when_server_dies(process):
    """Ends the run when the server dies inside an example: the client would retry its
    call for ever, and the examples after it could only time out."""
    process.wait()
    time.sleep(2)  # let report_start say it, when the death fell between examples
    if _examples_done.is_set():
        return
    print(f"ERROR: flint connect-server exited with {process.returncode} during {_previous_example}", flush=True)
    os._exit(1)


def recording_testmod(module_name, results, details):
    """A stand-in for doctest.testmod that runs every example of the module it is given
    with a RecordingRunner."""

    def testmod(m=None, name=None, globs=None, verbose=None, report=True, optionflags=0,
                extraglobs=None, raise_on_error=False, exclude_empty=False):
        finder = doctest.DocTestFinder(exclude_empty=exclude_empty)
        runner = RecordingRunner(module_name, results, details, optionflags=optionflags)
        for test in finder.find(m, name, globs=globs, extraglobs=extraglobs):
            runner.run(test, out=lambda text: None)
        return doctest.TestResults(runner.failures, runner.tries)

    return testmod


def run_module(short, results, details):
    """Runs one module's `_test()` with the recording testmod; returns an error text when
    the setup itself failed (no example ran)."""
    module = importlib.import_module(MODULES[short])
    original = doctest.testmod
    doctest.testmod = recording_testmod(short, results, details)
    cwd = os.getcwd()
    try:
        module._test()
    except SystemExit:
        pass  # _test() exits non-zero when an example failed; the results say which.
    except Exception as error:  # noqa: BLE001 - the setup failing is a result too
        return f"{type(error).__name__}: {error}"
    finally:
        doctest.testmod = original
        signal.alarm(0)
        os.chdir(cwd)
    return None


def load_keys(path):
    """The example keys listed in `path`, one a line (`#` starts a comment)."""
    if not path.exists():
        return set()
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return {line for line in lines if line}


def spark_passes():
    """Per-module pass counts of real Spark, recorded by --record-spark."""
    if not SPARK_RESULTS.exists():
        return {}
    return json.loads(SPARK_RESULTS.read_text())["passed_per_module"]


def table(results, modules, spark):
    rows = [("module", "examples", "passed", "Spark passed", "passed/Spark")]
    totals = [0, 0, 0]
    for short in modules:
        mine = [ok for key, ok in results.items() if key.startswith(short + "::")]
        theirs = spark.get(short)
        ratio = f"{100 * sum(mine) / theirs:.1f} %" if theirs else "-"
        rows.append((short, str(len(mine)), str(sum(mine)), str(theirs) if theirs is not None else "-", ratio))
        totals[0] += len(mine)
        totals[1] += sum(mine)
        totals[2] += theirs or 0
    ratio = f"{100 * totals[1] / totals[2]:.1f} %" if totals[2] else "-"
    rows.append(("total", str(totals[0]), str(totals[1]), str(totals[2] or "-"), ratio))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=f"of {', '.join(MODULES)} (default all)")
    parser.add_argument("--update", action="store_true", help="rewrite known_failures.txt from this run")
    parser.add_argument("--remote", help="a Spark Connect URL (or local[N] for real Spark) instead of Flint")
    parser.add_argument("--details", type=Path, help="write why each failing example failed to this JSON file")
    parser.add_argument("--record-spark", action="store_true", help="write what this server passes to spark.json")
    args = parser.parse_args()
    modules = args.modules or list(MODULES)
    if unknown := [m for m in modules if m not in MODULES]:
        parser.error(f"no doctest module {', '.join(unknown)}; the modules are {', '.join(MODULES)}")
    if args.details:
        args.details = args.details.resolve()
    signal.signal(signal.SIGALRM, _on_alarm)
    # dataframe's _test() changes into SPARK_HOME. The client needs none otherwise; real
    # Spark (`--remote local[N]`) starts its server from the pyspark package's jars.
    if "SPARK_HOME" not in os.environ:
        if (args.remote or "").startswith("local"):
            from pyspark.find_spark_home import _find_spark_home

            os.environ["SPARK_HOME"] = _find_spark_home()
        else:
            os.environ["SPARK_HOME"] = tempfile.mkdtemp(prefix="flint-doctests-")
    # Real Spark's Python workers (pandas UDF examples) need an interpreter with pandas.
    if (args.remote or "").startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.chdir(tempfile.mkdtemp(prefix="flint-doctests-cwd-"))

    results, details, setup_errors = {}, {}, {}
    started = time.time()
    if args.remote:
        os.environ["SPARK_CONNECT_TESTING_REMOTE"] = args.remote
        for short in modules:
            if error := run_module(short, results, details):
                setup_errors[short] = error
    else:
        sys.path.insert(0, str(HERE.parent / "python"))
        from conftest import connect_server

        with open(os.environ.get("FLINT_SERVER_LOG", os.devnull), "w") as log:
            with connect_server(log, "--master", "local[2]", "--conf", "spark.sql.shuffle.partitions=4") as (process, url):
                os.environ["SPARK_CONNECT_TESTING_REMOTE"] = url
                global _server
                _server = process
                threading.Thread(target=_exit_when_server_dies, args=(process,), daemon=True).start()
                for short in modules:
                    if error := run_module(short, results, details):
                        setup_errors[short] = error
                    if process.poll() is not None:
                        setup_errors[short] = f"flint connect-server exited with {process.returncode}"
                        break
                _examples_done.set()

    failing = sorted(key for key, ok in results.items() if not ok)
    if args.details:
        args.details.write_text(json.dumps({key: details.get(key, "") for key in failing}, indent=1) + "\n")
    if args.record_spark:
        passed = {short: sum(ok for key, ok in results.items() if key.startswith(short + "::")) for short in modules}
        SPARK_RESULTS.write_text(json.dumps({"passed_per_module": passed, "failing": failing}, indent=1) + "\n")
    print(table(results, modules, {} if args.record_spark else spark_passes()))
    print(f"{len(results)} examples in {time.time() - started:.0f}s")
    for short, error in setup_errors.items():
        print(f"ERROR: the {short} doctests did not run: {error}")
    if args.record_spark or args.remote:
        return 1 if setup_errors else 0

    flaky = load_keys(FLAKY)
    known = load_keys(KNOWN_FAILURES) | flaky
    ran = {key for key in results}
    if args.update:
        kept = {k for k in known - flaky if k.split("::")[0] not in modules}
        failing = [k for k in failing if k not in flaky]
        KNOWN_FAILURES.write_text(
            "# Doctest examples Flint fails today (tests/doctests/run --update rewrites this list;\n"
            "# flaky.txt holds those that fail only at times).\n"
            + "".join(f"{k}\n" for k in sorted(kept | set(failing)))
        )
        print(f"wrote {len(kept | set(failing))} known failures to {KNOWN_FAILURES}")
        return 1 if setup_errors else 0
    regressions = [key for key in failing if key not in known]
    fixed = sorted(k for k in (known - flaky) & ran if results[k])
    for key in regressions:
        print(f"REGRESSION: {key} fails and is not a known failure")
    if fixed:
        print(f"{len(fixed)} known failures pass now (tests/doctests/run --update removes them)")
    return 1 if regressions or setup_errors else 0


if __name__ == "__main__":
    sys.exit(main())
