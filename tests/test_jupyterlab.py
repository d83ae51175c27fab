"""`make lab`: a JupyterLab server on localhost lists the course notebooks and runs `import extractive_qa` in a kernel.

No browser: the server's REST API (`/api/contents`, `/api/kernels`) and the kernel's connection file (jupyter_client)."""
import json, os, secrets, socket, subprocess, sys, time, urllib.error, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

def free_port() -> int:
    "A TCP port on localhost that nothing listens on now."
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

class Lab:
    "A JupyterLab server started for a test, spoken to over its REST API with a token."
    def __init__(self, folder: Path, root: Path):
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.runtime = folder / "runtime"
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(self.runtime), "JUPYTER_CONFIG_DIR": str(folder / "config"),
               "JUPYTER_DATA_DIR": str(folder / "data"), "JUPYTER_PLATFORM_DIRS": "1"}
        # the kernel `make lab` installs (there into .venv with --sys-prefix; here into this test's data folder)
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--user", "--name", "extractive-qa",
                        "--display-name", "extractive_qa (.venv)"], env=env, check=True, capture_output=True)
        self.log = open(folder / "lab.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
             "--LabApp.extension_manager=readonly"] + (["--allow-root"] if os.geteuid() == 0 else []),
            env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def call(self, method: str, path: str, body: dict | None = None):
        "The decoded JSON answer of the server to `method path` (None when it answers with no content)."
        request = urllib.request.Request(self.base + path, method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def wait_until_up(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None: break
            try: return self.call("GET", "/api/status")
            except (urllib.error.URLError, ConnectionError): time.sleep(0.3)
        raise AssertionError("JupyterLab did not start:\n" + Path(self.log.name).read_text()[-3000:])

    def stop(self) -> None:
        try: self.call("POST", "/api/shutdown")
        except (urllib.error.URLError, ConnectionError): pass
        try: self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.log.close()

@pytest.fixture
def lab(tmp_path):
    pytest.importorskip("jupyterlab", reason="JupyterLab is in the dev extra: pip install -e '.[dev]'")
    server = Lab(tmp_path, ROOT)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()

def run_in_kernel(connection_file: Path, code: str, seconds: float = 30) -> tuple[str, dict]:
    "Run `code` in the kernel of `connection_file`: (its printed output, the execute reply's content)."
    from jupyter_client import BlockingKernelClient
    client = BlockingKernelClient(connection_file=str(connection_file))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=seconds)
        printed = []
        def keep(message):
            if message["msg_type"] == "stream": printed.append(message["content"]["text"])
            if message["msg_type"] == "error": printed.append("\n".join(message["content"]["traceback"]))
        reply = client.execute_interactive(code, timeout=seconds, output_hook=keep)
        return "".join(printed), reply["content"]
    finally:
        client.stop_channels()

def test_lab_lists_the_course_and_imports_the_package(lab):
    listing = lab.call("GET", "/api/contents/nbs")
    notebooks = {item["name"] for item in listing["content"] if item["type"] == "notebook"}
    assert {"index.ipynb", "00_first_answer.ipynb", "90_appendix_config.ipynb", "92_appendix_cli.ipynb"} <= notebooks, notebooks
    specs = lab.call("GET", "/api/kernelspecs")["kernelspecs"]
    assert specs["extractive-qa"]["spec"]["argv"][0] == sys.executable, specs   # the project's environment
    kernel = lab.call("POST", "/api/kernels", {"name": "extractive-qa", "path": "nbs"})
    try:
        printed, reply = run_in_kernel(lab.runtime / f"kernel-{kernel['id']}.json",
                                       "import sys, extractive_qa, extractive_qa.config\n"
                                       "print(extractive_qa.__version__, extractive_qa.config.get_config('smoke').profile)")
        assert reply["status"] == "ok", printed
        import extractive_qa
        assert printed.split() == [extractive_qa.__version__, "smoke"], printed
    finally:
        lab.call("DELETE", f"/api/kernels/{kernel['id']}")
    assert lab.call("GET", "/api/kernels") == []
