"""The MkDocs hook docs/_hooks/plot_images.py: every figure renders to a PNG, deterministically."""

import importlib.util
from pathlib import Path

import pytest
from tests._optional import in_ci

HOOK = Path(__file__).resolve().parents[2] / "docs" / "_hooks" / "plot_images.py"
DOCS = HOOK.parents[1] / "plots.md"


@pytest.fixture(scope="module")
def hook():
    if in_ci():
        import matplotlib as mpl  # noqa: F401, PLC0415 - must be installed in CI.
    else:
        pytest.importorskip("matplotlib")
    spec = importlib.util.spec_from_file_location("plot_images", HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered(hook, tmp_path_factory):
    first = hook.render_plots(tmp_path_factory.mktemp("a"))
    second = hook.render_plots(tmp_path_factory.mktemp("b"))
    return first, second


def test_every_figure_is_a_png_and_the_docs_show_it(rendered):
    first, _ = rendered
    text = DOCS.read_text()
    for name, path in first.items():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"images/plots/{name}.png" in text
    assert len(first) == 11


def test_rendering_is_deterministic(rendered):
    first, second = rendered
    assert {n: p.read_bytes() for n, p in first.items()} == {
        n: p.read_bytes() for n, p in second.items()
    }


def test_every_plot_function_has_an_image(hook):
    from crmcore import plots  # noqa: PLC0415

    drawn = {name for name in plots.__all__ if name.startswith("plot_")}
    figures = hook.figures()
    assert len(figures) >= len(drawn)


def test_on_files_adds_the_images(hook, monkeypatch, tmp_path):
    mkdocs_files = pytest.importorskip("mkdocs.structure.files")
    from mkdocs.config.defaults import MkDocsConfig  # noqa: PLC0415

    config = MkDocsConfig()
    config.load_dict({"site_name": "t", "docs_dir": str(tmp_path), "site_dir": str(tmp_path / "s")})
    config.validate()
    config.plugins._current_plugin = "plot_images"  # what MkDocs sets while a hook runs
    files = mkdocs_files.Files([])
    monkeypatch.setattr(hook, "render_plots", lambda d: {"one": tmp_path / "one.png"})
    out = hook.on_files(files, config)
    assert [f.src_uri for f in out] == ["images/plots/one.png"]
    assert [f.abs_src_path for f in out] == [str(tmp_path / "one.png")]
