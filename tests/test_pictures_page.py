"""The interactive HTML page, in a real headless Chromium driven by Playwright.

Chromium comes from Debian's packages (`make test` installs it as root); Playwright may not
download its own browsers here, so the system one is launched by path. Without either,
the browser tests skip and say why; the checks on the file itself always run.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import pytest

import funcnet as fn
from tests.test_plot import png_size

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def resnet50() -> keras.Model:
    return keras.applications.ResNet50(weights=None)


@pytest.fixture(scope="module")
def page_file(resnet50: keras.Model, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("page") / "resnet50.html"
    fn.plot(resnet50, path)
    return path


def test_the_page_is_one_self_contained_file(page_file: Path) -> None:
    text = page_file.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "<script>" in text
    external = re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", text)
    assert external == []  # no CDN, no network: the file works offline
    assert text.count('id="layer:') == 177  # every layer of ResNet50, each findable by name


def test_depth_sets_what_the_page_starts_unfolded(resnet50: keras.Model, tmp_path: Path) -> None:
    fn.plot(resnet50, tmp_path / "two.html", depth=2)
    blocks = re.search(r"id='blocks'>(.*?)</script>", (tmp_path / "two.html").read_text())
    assert blocks is not None
    tree = json.loads(blocks.group(1))
    opened = {tree[k]["name"] for k in tree[""]["open"]}
    assert opened == {"conv1", "pool1", "conv2", "conv3", "conv4", "conv5"}
    members = [name for block in tree.values() for name in block["layers"]]
    assert members and set(members) <= {layer.name for layer in resnet50.layers}  # names, not ids


def test_jupyter_shows_the_page_inline() -> None:
    ins = fn.inputs(x=(4,))
    picture = fn.plot(fn.model(ins, fn.head(ins["x"], "y", "binary")))
    html = picture.interactive()._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "search a layer name" in html


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (make test installs it with apt-get when root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, page_file: Path) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.errors = []  # console errors and uncaught exceptions
    page.requests = []  # anything that is not the file itself
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith("file:") else page.requests.append(r))
    page.goto(page_file.as_uri())
    yield page
    page.close()


def folds(page: Any) -> list[str]:
    return page.eval_on_selector_all("g.fold", "gs => gs.map(g => g.id)")


def test_page_loads_without_errors_or_network(page: Any, tmp_path: Path) -> None:
    assert page.errors == [] and page.requests == []
    assert folds(page) == [
        f"fold:{s}" for s in ("conv1", "pool1", "conv2", "conv3", "conv4", "conv5")
    ]
    page.screenshot(path=tmp_path / "page.png")
    assert png_size((tmp_path / "page.png").read_bytes()) == (1200, 900)


def test_clicking_a_block_unfolds_it(page: Any) -> None:
    page.locator("[id='fold:conv1']").click()
    assert "fold:conv1" not in folds(page)
    assert page.locator("[id='layer:conv1_conv']").is_visible()
    page.locator("[id='fold:conv2']").dispatch_event("click")  # below the fold of the screen
    assert {"fold:conv2_block1", "fold:conv2_block2", "fold:conv2_block3"} <= set(folds(page))
    page.click("#fold")
    assert "fold:conv1" in folds(page) and "fold:conv2_block1" not in folds(page)
    assert page.errors == []


def test_search_highlights_the_layer_and_unfolds_its_blocks(page: Any) -> None:
    page.fill("#search", "conv4_block2_2_conv")
    hits = page.eval_on_selector_all("g.node.hit", "gs => gs.map(g => g.id)")
    assert hits == ["layer:conv4_block2_2_conv"]
    assert page.text_content("#hits") == "1 found"
    assert not {"fold:conv4", "fold:conv4_block2", "fold:conv4_block2_2"} & set(folds(page))
    assert page.locator("[id='layer:conv4_block2_2_conv']").is_visible()
    page.fill("#search", "")
    assert page.eval_on_selector_all("g.node.hit", "gs => gs.length") == 0
    assert page.errors == []


def test_hover_shows_details_and_the_wheel_zooms(page: Any, resnet50: keras.Model) -> None:
    name = resnet50.layers[0].name  # "input_layer", or "input_layer_3" after other models
    page.locator(f"[id='layer:{name}']").hover()
    assert page.text_content("#detail").startswith(f"{name} (InputLayer, 0 parameters)")
    width = page.evaluate("document.querySelector('#view svg').viewBox.baseVal.width")
    page.mouse.move(600, 400)
    page.mouse.wheel(0, -300)
    zoomed = page.evaluate("document.querySelector('#view svg').viewBox.baseVal.width")
    assert zoomed < width
    assert page.errors == []
