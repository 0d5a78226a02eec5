"""Fast start: the plan path loads none of the simulators' libraries, and package data is parsed once
and then read from a cache that any change to the data invalidates."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from mbctwin import datafiles

HEAVY = ("pandas", "matplotlib", "dask", "lifelines", "fastapi", "sqlalchemy", "scipy", "pyarrow", "uvicorn")
EXAMPLE = str(resources.files("mbctwin.case").joinpath("examples", "hr-positive-first-line.yaml"))


def test_mbc_plan_imports_no_heavy_library() -> None:
    """``mbc plan CASE --format json`` run as the console script does, in a fresh interpreter."""
    code = (
        "import sys, json\n"
        "from mbctwin.cli import app\n"
        "try:\n"
        "    app(['plan', sys.argv[1], '--format', 'json'])\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", code, EXAMPLE], capture_output=True, text=True, check=True)
    assert json.loads(run.stdout)["systemic"], "the plan itself was printed"
    assert json.loads(run.stderr.strip().splitlines()[-1]) == []


def _console_script(*arguments: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run ``mbc ARGUMENTS`` through ``main`` in a fresh interpreter; also return the modules it loaded."""
    code = (
        "import sys, json\n"
        "from mbctwin.cli import main\n"
        "sys.argv = ['mbc', *sys.argv[1:]]\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", code, *arguments], capture_output=True, text=True)
    return run, json.loads(run.stderr.strip().splitlines()[-1])


def test_the_console_script_loads_only_the_asked_command_and_no_rich_for_json() -> None:
    run, modules = _console_script("plan", EXAMPLE, "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["systemic"]
    commands = {m for m in modules if m.startswith("mbctwin.cli.")}
    assert commands == {"mbctwin.cli._console", "mbctwin.cli.plan"}
    assert not [m for m in modules if m == "rich" or m.startswith("rich.")]


def test_the_console_script_knows_every_command_for_help_and_typos() -> None:
    from mbctwin.cli import COMMANDS

    helped, _ = _console_script("--help")
    assert all(f" {command} " in helped.stdout for command in COMMANDS)
    typo, _ = _console_script("plna")
    assert typo.returncode == 2
    assert "No such command 'plna'" in typo.stderr


def test_import_mbctwin_loads_nothing_until_asked() -> None:
    code = "import sys, mbctwin; print(sorted(m for m in sys.modules if m.startswith('mbctwin.')))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "['mbctwin._version']"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(datafiles.CACHE_ENV, str(folder))
    datafiles.cache_folder.cache_clear()
    yield folder
    datafiles.cache_folder.cache_clear()


TEXT = "base: &b {drug: letrozole, lines: [1, 2]}\nuse: *b\nother: [x, y]\n"


def test_cached_data_equals_a_fresh_parse_and_changes_invalidate_it(cache: Path) -> None:
    first = datafiles.read_data(TEXT)
    assert first == yaml.safe_load(TEXT)
    (entry,) = cache.iterdir()
    assert json.loads(entry.read_text()) == first
    assert datafiles.read_data(TEXT) == first  # now from the cache
    changed = TEXT.replace("letrozole", "anastrozole")
    assert datafiles.read_data(changed)["use"]["drug"] == "anastrozole"
    assert len(list(cache.iterdir())) == 2


def test_a_damaged_entry_is_parsed_again(cache: Path) -> None:
    datafiles.read_data(TEXT)
    (entry,) = cache.iterdir()
    entry.write_text('{"base": ')
    assert datafiles.read_data(TEXT) == yaml.safe_load(TEXT)


def test_values_json_cannot_keep_are_not_cached(cache: Path) -> None:
    assert datafiles.read_data("approved: 2017-03-13\n1: one\n") == {
        "approved": yaml.safe_load("d: 2017-03-13")["d"],
        1: "one",
    }
    assert not cache.exists() or not list(cache.iterdir())


def test_a_cache_path_that_is_a_file_only_costs_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(datafiles.CACHE_ENV, str(blocker / "cache"))
    datafiles.cache_folder.cache_clear()
    try:
        assert datafiles.read_data(TEXT) == yaml.safe_load(TEXT)
    finally:
        datafiles.cache_folder.cache_clear()


def test_the_knowledge_base_loads_the_same_with_and_without_the_cache(cache: Path, monkeypatch) -> None:
    from mbctwin.knowledge.loader import _load

    data = resources.files("mbctwin.knowledge").joinpath("data")
    cached = _load(data)
    again = _load(data)  # read back from the cache
    monkeypatch.setenv(datafiles.CACHE_ENV, "")
    datafiles.cache_folder.cache_clear()
    assert datafiles.cache_folder() is None
    assert _load(data) == cached == again
