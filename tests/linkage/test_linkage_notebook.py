"""The linkage notebook runs from top to bottom: four extracts linked, one person shown."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "linkage.ipynb"


def test_the_linkage_notebook_links_four_extracts_and_shows_match_weights(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "decisions recorded" in text
    assert "match weight" in text
    assert "<th>weight</th>" in html
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert pictures, "the joined-up timeline is drawn"
    shown = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "'police'" in shown  # the timeline's events come from several agencies
    assert "'courts'" in shown
    assert {p.name for p in (tmp_path / "agencies").iterdir()} == {
        "police.jsonl",
        "courts.jsonl",
        "probation.jsonl",
        "prison.jsonl",
    }
