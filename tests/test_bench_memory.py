"""The benchmarks count a command's memory over all of its processes, not only its largest.

A command that starts workers costs a machine (or a container's limit) what all its
processes hold together; ``bench/measured_run.py`` reports that beside the largest
process's peak, and the memory target is checked against both.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MEASURED_RUN = Path(__file__).resolve().parents[1] / "bench" / "measured_run.py"

# A parent holding 40 MiB starts a child holding 40 MiB of its own, for a second.
_TWO_PROCESSES = """
import subprocess, sys, time
held = bytearray(b"x") * (40 << 20)  # written: resident, not only reserved
child = subprocess.Popen([sys.executable, "-c",
    "import time; held = bytearray(b'y') * (40 << 20); time.sleep(1)"])
child.wait()
print("done")
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps_rollup"), reason="reads /proc")
def test_a_command_s_memory_is_counted_over_all_of_its_processes() -> None:
    done = subprocess.run(
        [sys.executable, str(MEASURED_RUN), sys.executable, "-c", _TWO_PROCESSES],
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["code"] == 0
    assert measured["stdout"] == "done\n"
    assert 40 <= measured["peak_mib"] < 80  # the largest process alone
    assert measured["summed_mib"] >= 80  # both, while the child ran


def test_where_the_kernel_refuses_a_process_descriptor_the_end_is_still_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Old kernels and some containers' seccomp profiles refuse pidfd_open.
    spec = importlib.util.spec_from_file_location("measured_run", MEASURED_RUN)
    assert spec is not None
    assert spec.loader is not None
    measured_run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(measured_run)

    def refused(pid: int) -> int:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(measured_run.os, "pidfd_open", refused)
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.35)"])
    looks = sum(1 for _ in measured_run._until_ended(process))
    assert process.poll() == 0  # ended when the looks stopped
    assert looks >= 2  # and looked every 0.1 s meanwhile
