"""The cascade viewer lists stored runs and plays their frames."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mbctwin.cascade import io
from mbctwin.cascade.config import CascadeConfig
from mbctwin.cascade.model import CascadeModel
from mbctwin.service.app import create_app
from mbctwin.service.settings import Settings
from tests.conftest import QUEUE_ONLY

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    out = root / "small-run"
    result = CascadeModel(CascadeConfig(grid_size=41)).run(200, seed=3, save_every=100, on_save=io.frame_saver(out))
    io.write_run(out, result)
    (root / "not-a-run").mkdir()
    return root


@pytest.fixture
def viewer(tmp_path: Path, runs: Path) -> Iterator[TestClient]:
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'v.db'}", auth=False, cascade_runs=runs, jobs=QUEUE_ONLY)
    )
    with TestClient(app, follow_redirects=False) as client:
        yield client


def test_lists_runs_and_skips_other_folders(viewer: TestClient) -> None:
    page = viewer.get("/ui/cascade")
    assert page.status_code == 200
    assert "small-run" in page.text
    assert "not-a-run" not in page.text


def test_viewer_page_has_a_slider_over_saved_frames(viewer: TestClient) -> None:
    page = viewer.get("/ui/cascade/small-run")
    assert page.status_code == 200
    assert 'type="range"' in page.text
    assert 'max="1"' in page.text  # two saved frames: steps 100 and 200
    assert "[100, 200]" in page.text


@pytest.mark.parametrize("path", ["frames/0.png", "frames/1.png", "mmp2/1.png", "series.png"])
def test_images_are_png(viewer: TestClient, path: str) -> None:
    response = viewer.get(f"/ui/cascade/small-run/{path}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG)


@pytest.mark.parametrize(
    "path",
    [
        "/ui/cascade/no-such-run",
        "/ui/cascade/small-run/frames/9.png",
        "/ui/cascade/..%2F..%2Fetc/series.png",
        "/ui/cascade/not-a-run",
    ],
)
def test_missing_runs_frames_and_escapes_are_404(viewer: TestClient, path: str) -> None:
    assert viewer.get(path).status_code == 404


def test_viewer_needs_sign_in_when_auth_is_on(tmp_path: Path, runs: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", cascade_runs=runs, jobs=QUEUE_ONLY))
    with TestClient(app, follow_redirects=False) as client:
        assert client.get("/ui/cascade").status_code in (302, 303, 307)
