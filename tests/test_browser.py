"""The course in JupyterLab, as a student uses it: a real browser (Debian's headless Chromium, driven by Playwright)
opens lessons in a JupyterLab started from this project's environment, runs them with JupyterLab's own
"Run All Cells", and checks what the student sees: no traceback, figures drawn as images, highlighted answers,
and an answer typed into the inference lesson's question box.

The lab serves a copy of nbs/ (JupyterLab autosaves, and the committed outputs must not change), on a free
localhost port with a token, and is stopped by its process id. Each notebook opens in a fresh workspace
(`/lab/workspaces/<name>/tree/<notebook>?reset`), so tabs left open never hide one another. Screenshots of every
notebook go to a folder that a failure names. Profile: smoke, as in CI."""
import json, os, secrets, shutil, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest
from extractive_qa.config import course_home

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
LESSONS = ["00_first_answer.ipynb", "03_training.ipynb", "06_inference.ipynb"]   # the first, the training and the inference lesson
RUN_TIMEOUT_S = 900

def _browser_missing() -> str | None:
    "Why the browser test cannot run here, or None."
    if not CHROMIUM.is_file(): return f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
    try: import playwright  # noqa: F401
    except ImportError: return "playwright is missing: pip install -e '.[dev]'"
    return None

@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser_screenshots")

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    "JupyterLab on a copy of nbs/ (with the smoke run, when nbdev_test left one), on a free port with a token."
    reason = _browser_missing()
    if reason:
        if os.environ.get("CI"): pytest.fail(reason)          # in CI the browser test must run
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "nbs", folder / "nbs", ignore=shutil.ignore_patterns("runs", ".ipynb_checkpoints"))
    smoke_run = course_home() / "runs" / "smoke"                         # what nbdev_test left, if it ran first
    if (smoke_run / "metrics.json").is_file():                            # spare 00 and 06 a training run
        shutil.copytree(smoke_run, folder / "runs" / "smoke", ignore=shutil.ignore_patterns("checkpoints"))
    settings = folder / "lab_settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))  # render every cell
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = secrets.token_hex(16)
    env = {**os.environ, "EXTRACTIVE_QA_PROFILE": "smoke", "EXTRACTIVE_QA_HOME": str(folder),   # runs of this copy stay in it "JUPYTERLAB_SETTINGS_DIR": str(folder / "lab_settings"),
           "JUPYTER_RUNTIME_DIR": str(folder / "runtime"), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    log = open(folder / "lab.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder / 'nbs'}",
                               "--ServerApp.open_browser=False", "--allow-root"],
                              cwd=folder / "nbs", env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError: time.sleep(1)
        else: pytest.fail(f"JupyterLab did not start; its log: {(folder / 'lab.log').read_text()[-2000:]}")
        yield dict(url=url, token=token, folder=folder)
    finally:
        os.kill(server.pid, signal.SIGTERM)
        try: server.wait(timeout=30)
        except subprocess.TimeoutExpired: os.kill(server.pid, signal.SIGKILL)
        log.close()

@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                          args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()

def open_and_run_all(browser, lab, notebook: str, screenshots: Path):
    "Open `notebook` in a fresh workspace, run all its cells with JupyterLab's menu, wait for the kernel; return the page."
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)
    workspace = notebook.split(".")[0].replace("_", "-")
    page.goto(f"{lab['url']}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={lab['token']}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    page.wait_for_function("() => { const s = document.querySelector('.jp-NotebookPanel .jp-Toolbar-kernelStatus, "
                           ".jp-NotebookPanel [data-jp-item-name=\"kernelStatus\"]'); return true; }")
    page.wait_for_timeout(3000)                                                    # the kernel starts
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.click("li.lm-Menu-item:has-text('Run All Cells')")
    began = time.monotonic()
    page.wait_for_timeout(2000)
    while True:
        state = page.evaluate("""() => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
            return {running: prompts.filter(p => p.textContent.includes('*')).length, total: prompts.length,
                    unrun: prompts.filter(p => /\\[\\s*\\]/.test(p.textContent)).length};
        }""")
        if state["running"] == 0: break
        if time.monotonic() - began > RUN_TIMEOUT_S:
            page.screenshot(path=str(screenshots / f"{notebook}.timeout.png"), full_page=True)
            pytest.fail(f"{notebook}: still running after {RUN_TIMEOUT_S} s ({state}); screenshots in {screenshots}")
        page.wait_for_timeout(2000)
    page.screenshot(path=str(screenshots / f"{notebook}.png"), full_page=True)
    return page

def student_view(page) -> dict:
    "What the student sees in the open notebook: tracebacks, images, highlighted answers."
    return page.evaluate("""() => {
        const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
        const outputs = [...panel.querySelectorAll('.jp-OutputArea-output')];
        const errors = outputs.filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr' &&
                                           /Traceback|Error:/.test(o.textContent) && !/Warning/.test(o.textContent))
                              .map(o => o.textContent.slice(0, 500));
        const unrun = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].filter(p => /\\[\\s*\\]:/.test(p.textContent)).length;
        return {errors, images: panel.querySelectorAll('.jp-RenderedImage img').length,
                marks: panel.querySelectorAll('.jp-RenderedHTMLCommon mark').length, unrun,
                cells: panel.querySelectorAll('.jp-CodeCell').length};
    }""")

@pytest.mark.parametrize("notebook", LESSONS)
def test_lesson_runs_in_jupyterlab(browser, lab, notebook, screenshots):
    page = open_and_run_all(browser, lab, notebook, screenshots)
    try:
        seen = student_view(page)
        assert not seen["errors"], f"{notebook}: traceback(s) shown: {seen['errors'][:2]}; screenshots in {screenshots}"
        assert seen["images"] >= (1 if notebook != "00_first_answer.ipynb" else 0), f"{notebook}: no figure drawn ({seen}); screenshots in {screenshots}"
        if notebook in ("00_first_answer.ipynb", "06_inference.ipynb"):
            assert seen["marks"] >= 1, f"{notebook}: no highlighted answer shown ({seen}); screenshots in {screenshots}"
        if notebook == "06_inference.ipynb":
            ask_in_the_widget(page, screenshots)
    finally:
        page.close()

def ask_in_the_widget(page, screenshots: Path) -> None:
    "Type a question into the inference lesson's question box, press its button, and wait for a highlighted answer."
    question_box = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-text input").first
    question_box.scroll_into_view_if_needed()
    context_box = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-textarea textarea").first
    context_box.fill("Marie Curie won the Nobel Prize in Physics in 1903 and the Nobel Prize in Chemistry in 1911.")
    question_box.fill("When did Marie Curie win the Nobel Prize in Chemistry?")
    question_box.press("Enter")
    button = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-button").first
    if button.count(): button.click()
    try:
        page.wait_for_function("() => [...document.querySelectorAll('.widget-output mark, .jupyter-widgets-output-area mark')]"
                               ".some(m => 'Marie Curie won the Nobel Prize in Physics in 1903 and the Nobel Prize in Chemistry in 1911.'"
                               ".includes(m.textContent))", timeout=120_000)
    except Exception:
        page.screenshot(path=str(screenshots / "06_inference.widget.png"), full_page=True)
        raise AssertionError(f"no highlighted answer appeared under the question box; screenshots in {screenshots}")
    page.screenshot(path=str(screenshots / "06_inference.widget.png"), full_page=True)
