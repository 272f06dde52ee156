"""The README's linkage commands run as written (after the install step), and do link."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readmes_linkage_commands_run_and_link_the_agencies(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Many agencies, one person") :]
    block = re.search(r"^```bash\n(.*?)\n```", section, re.MULTILINE | re.DOTALL)
    assert block is not None
    script = block.group(1).replace("pip install -e '.[link]' && ", "")
    assert "pip install" not in script
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT / "src"),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    persons = json.loads(done.stdout[done.stdout.index("{") :])["persons"]
    truth = (tmp_path / "truth.csv").read_text().splitlines()[1:]
    people = {line.split(",")[2] for line in truth}
    assert sum(len(p["records"]) for p in persons) == len(truth)
    assert len(people) <= len(persons) <= len(people) + 5
