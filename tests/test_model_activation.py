"""Admins switch the model the bot runs — a new training, or back to an earlier one —
without downtime (bot/inbox/models_api.py, Rasa's PUT /model), against the real Rasa."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from playwright.async_api import expect

from bot.rasa.models import ModelFiles, UnknownModel
from tests.conftest import MODEL
from tests.gateway_helpers import say_over_rest, worker
from tests.inbox_page import beheer

MODELS = "/api/v1/admin/models"
# Rasa loads a model in well under a minute here; slower under a loaded CI machine.
LOAD_TIMEOUT_MS = 180_000


def model_folder(root: Path) -> Path:
    """A model folder as `make train` leaves it: current.tar.gz and one archived model
    (the same trained model, copied: what matters here is the switch)."""
    folder = root / "models"
    (folder / "archive").mkdir(parents=True)
    shutil.copy(MODEL, folder / "current.tar.gz")
    earlier = folder / "archive" / "model-20261101-090000.tar.gz"
    shutil.copy(MODEL, earlier)
    stamp = datetime(2026, 11, 1, 9, tzinfo=timezone.utc).timestamp()
    os.utime(earlier, (stamp, stamp))
    (folder / "notes.txt").write_text("geen model")
    return folder


def test_the_model_folder_lists_models_newest_first_and_names_only_its_own(
        tmp_path: Path) -> None:
    files = ModelFiles(model_folder(tmp_path))
    assert [m.name for m in files.all()] == ["current.tar.gz",
                                             "archive/model-20261101-090000.tar.gz"]
    assert files.find("archive/model-20261101-090000.tar.gz").size_mb > 0
    (tmp_path / "elders.tar.gz").write_text("x")
    for bad in ("../elders.tar.gz", "notes.txt", "archive/../../elders.tar.gz",
                "/etc/passwd", "geen.tar.gz", str(MODEL)):
        with pytest.raises(UnknownModel):
            files.find(bad)
    # Rasa reports the file name only: the folder's current.tar.gz before a namesake.
    assert files.name_of("current.tar.gz") == "current.tar.gz"
    assert files.name_of("model-20261101-090000.tar.gz") == "archive/model-20261101-090000.tar.gz"
    assert files.name_of("iets-anders.tar.gz") is None and files.name_of(None) is None


@pytest.mark.stack
async def test_an_admin_switches_to_an_earlier_model_and_back_while_the_bot_answers(
        make_live_gateway, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gateway = await make_live_gateway(MODEL_DIR=str(model_folder(tmp_path)))
    client = gateway.client
    admin, sam = await worker(client, "anna", "admin"), await worker(client, "sam")
    assert (await client.get(MODELS, headers=sam)).status == 403
    listed = await (await client.get(MODELS, headers=admin)).json()
    assert listed["active"] == "current.tar.gz"
    assert [(m["name"], m["active"]) for m in listed["models"]] == [
        ("current.tar.gz", True), ("archive/model-20261101-090000.tar.gz", False)]

    for bad in ("../../etc/passwd", "notes.txt", 7):
        refused = await client.post(MODELS + "/activate", headers=admin, json={"model": bad})
        assert refused.status == 400, bad
    switched = await client.post(MODELS + "/activate", headers=admin,
                                 json={"model": "archive/model-20261101-090000.tar.gz"})

    assert switched.status == 200
    listed = await (await client.get(MODELS, headers=admin)).json()
    assert listed["active"] == "archive/model-20261101-090000.tar.gz"
    answer = await say_over_rest(client, "jongere-model", "is dit anoniem?")
    assert "je naam niet te zeggen" in answer  # the bot answers on the model it runs now
    back = await client.post(MODELS + "/activate", headers=admin,
                             json={"model": "current.tar.gz"})
    assert back.status == 200
    assert (await (await client.get(MODELS, headers=admin)).json())["active"] == "current.tar.gz"


@pytest.mark.stack
@pytest.mark.browser
async def test_an_admin_switches_the_model_in_beheer(make_live_gateway, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gateway = await make_live_gateway(MODEL_DIR=str(model_folder(tmp_path)))
    earlier = "archive/model-20261101-090000.tar.gz"
    async with beheer(gateway) as page:
        models = page.get_by_test_id("inbox-models").locator("li")
        await expect(models).to_have_count(2)
        await expect(models.first).to_contain_text("current.tar.gz")
        await expect(models.first).to_contain_text("draait nu")
        row = page.locator(f'li[data-model="{earlier}"]')
        await row.get_by_test_id("inbox-model-activate").click()
        await expect(row.get_by_test_id("inbox-model-activate")).to_contain_text("Echt?")
        await row.get_by_test_id("inbox-model-activate").click()
        await expect(page.get_by_test_id("inbox-models-result")).to_contain_text(
            f"De bot draait nu op {earlier}", timeout=LOAD_TIMEOUT_MS)
        await expect(row).to_contain_text("draait nu")
        await expect(models.first.get_by_test_id("inbox-model-activate")).to_be_visible()
        # And back, as after a training that disappointed.
        await models.first.get_by_test_id("inbox-model-activate").click()
        await models.first.get_by_test_id("inbox-model-activate").click()
        await expect(models.first).to_contain_text("draait nu", timeout=LOAD_TIMEOUT_MS)
