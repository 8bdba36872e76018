"""Every README command marked runnable runs, in order, and exits 0.

Marker convention (the line just before a fenced code block in README.md):

* ``<!-- readme-test: run -->``: each command of the block runs, in README order, from the
  repository root (so ``--from ../shared/data`` and ``data/examples/…`` resolve as for a
  reader), against one scratch ``LERNNETZ_DATA_DIR``; the first block's
  ``fetch && load && demo-data`` is the one load that all later commands reuse.
  Within a block: a line ending in ``\\`` continues; ``#`` comments (after two spaces) are
  dropped; an ``&&`` chain runs segment by segment (a failing segment stops it).
  A ``python -m pip install`` segment is skipped (needs the package index; this test already
  runs inside that install). ``lernnetz serve`` is started on a free port, must answer
  ``/health`` with 200, and is stopped. A ```` ```python ```` block runs as one script in a
  fresh interpreter. A plain ``lernnetz …`` command (no pipes, redirections or ``$``) runs
  in this process through the CLI app the console script calls, with the argv that bash
  would pass (``shlex``), the same environment and working directory: the same code and
  exit code at a fraction of the cost (each new interpreter re-imports pandas & co. for
  ~1.5 s of CPU); the ``serve`` line and the wheel test (tests/test_packaging.py) run the
  console script itself. Anything else runs in ``bash``.
* ``<!-- readme-test: skip: REASON -->``: not run; listed with its reason.

Every ``bash``/``sh``/``console``/``python`` block must carry one of the two marks, so a new
command cannot slip past this test. The run/skip list is printed at the end.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
MARK = re.compile(r"^<!--\s*readme-test:\s*(run|skip:\s*(?P<reason>.+?))\s*-->\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")
CHECKED_LANGS = {"bash", "sh", "shell", "console", "python"}
PIP_SKIP = "needs the package index; the test already runs inside this install"
TIMEOUT_S = 300


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    lang: str
    body: list[str]
    mark: str | None  # "run", "skip" or None
    reason: str = ""


def blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text with the readme-test mark before each."""
    out: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m.group(1)
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        prev = next((lines[k] for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        mk = MARK.match(prev.strip())
        mark = None if mk is None else ("skip" if mk.group("reason") else "run")
        out.append(
            Block(start + 1, lang, lines[start + 1 : j], mark, (mk.group("reason") or "") if mk else "")
        )
        i = j + 1
    return out


def commands(block: Block) -> list[str]:
    """The shell commands of a block: continuations joined, comments and prompts dropped."""
    if block.lang == "python":
        return ["\n".join(block.body)]
    cmds: list[str] = []
    pending = ""
    for raw in block.body:
        line = raw.rstrip()
        if block.lang == "console":
            if not line.startswith("$ "):
                continue
            line = line[2:]
        line = re.sub(r"\s{2,}#.*$", "", line)
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        piece = line.strip()
        if piece.endswith("\\"):
            pending += piece[:-1].rstrip() + " "
            continue
        cmds.append(pending + piece)
        pending = ""
    return cmds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(cmd: str, env: dict[str, str]) -> str:
    """Start a ``lernnetz serve`` line on a free port, wait for /health 200, stop it."""
    port = _free_port()
    proc = subprocess.Popen(
        f"{cmd} --port {port}",
        shell=True,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"{cmd!r} exited {proc.returncode}: {proc.stdout.read().decode()}"  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    body = json.loads(r.read())
                    assert r.status == 200, body
                    return f"served /health on port {port}: {body.get('status')}"
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"{cmd!r}: /health did not answer within 60 s")
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def _plain_cli(cmd: str) -> bool:
    """A ``lernnetz`` command that bash would pass on unchanged (no shell syntax to interpret)."""
    return cmd.startswith("lernnetz ") and not any(c in cmd for c in "|&;<>$`*?~(){}")


def _run_in_process(cmd: str) -> str:
    from typer.testing import CliRunner

    from lernnetz.api.cli import app

    result = CliRunner().invoke(app, shlex.split(cmd)[1:])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"README command raised:\n{cmd}\n{result.output[-3000:]}") from result.exception
    assert result.exit_code == 0, (
        f"README command failed (exit {result.exit_code}):\n{cmd}\n{result.output[-3000:]}"
    )
    return (result.stdout.strip().splitlines() or [""])[-1][:100]


def _run(cmd: str, env: dict[str, str], lang: str) -> str:
    if lang == "python":
        argv: list[str] | str = [sys.executable, "-c", cmd]
        shell = False
    else:
        argv, shell = cmd, True
    r = subprocess.run(
        argv, shell=shell, cwd=REPO, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    assert r.returncode == 0, (
        f"README command failed (exit {r.returncode}):\n{cmd}\n--- stdout\n{r.stdout[-3000:]}\n--- stderr\n{r.stderr[-3000:]}"
    )
    return (r.stdout.strip().splitlines() or [""])[-1][:100]


def test_every_shell_block_is_marked() -> None:
    found = blocks(README.read_text(encoding="utf-8"))
    unmarked = [
        f"README.md:{b.line} ```{b.lang}" for b in found if b.lang in CHECKED_LANGS and b.mark is None
    ]
    assert not unmarked, (
        f"mark these blocks <!-- readme-test: run --> or <!-- readme-test: skip: REASON -->: {unmarked}"
    )
    runnable = [c for b in found if b.mark == "run" for c in commands(b)]
    assert any(c.startswith("lernnetz stats") for c in runnable)  # the "Using it" block runs
    assert any("import lernnetz as ln" in c for c in runnable)  # and the face example
    assert all(b.reason for b in found if b.mark == "skip")


def test_blocks_are_parsed_as_a_reader_types_them() -> None:
    md = (
        "<!-- readme-test: run -->\n```bash\nlernnetz stats     # counts\n"
        "lernnetz near \\\n  Ulm\n\n# a note\n```\n"
        "text\n<!-- readme-test: skip: needs Docker -->\n```console\n$ curl -s x\n{output}\n```\n"
        "```python\nprint(1)\n```\n"
    )
    a, b, c = blocks(md)
    assert (a.mark, commands(a)) == ("run", ["lernnetz stats", "lernnetz near Ulm"])
    assert (b.mark, b.reason, commands(b)) == ("skip", "needs Docker", ["curl -s x"])
    assert (c.mark, commands(c)) == (None, ["print(1)"])


@pytest.mark.slow
def test_every_runnable_readme_command_exits_0(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (REPO.parent / "shared" / "data").resolve() == SHARED_DATA.resolve(), (
        "../shared/data must be beside the repo"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LERNNETZ_", "NEO4J_"))}
    env |= {
        "LERNNETZ_DATA_DIR": str(tmp_path / "data"),
        "LERNNETZ_BACKEND": "networkx",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        "COLUMNS": "120",
    }
    for key in [k for k in os.environ if k.startswith(("LERNNETZ_", "NEO4J_"))]:
        monkeypatch.delenv(key)
    for key in ("LERNNETZ_DATA_DIR", "LERNNETZ_BACKEND", "COLUMNS"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.chdir(REPO)
    before = {p.name for p in REPO.iterdir()}
    log: list[str] = []
    try:
        for block in blocks(README.read_text(encoding="utf-8")):
            if block.lang not in CHECKED_LANGS:
                continue
            for cmd in commands(block):
                where = f"README.md:{block.line}"
                if block.mark == "skip":
                    log.append(f"SKIP {where}: {cmd.splitlines()[0]}  — {block.reason}")
                    continue
                segments = [cmd] if block.lang == "python" else [s.strip() for s in cmd.split(" && ")]
                for seg in segments:
                    if seg.startswith("python -m pip install"):
                        log.append(f"SKIP {where}: {seg}  — {PIP_SKIP}")
                    elif seg.startswith("lernnetz serve"):
                        log.append(f"RAN  {where}: {seg}  → {_serve(seg, env)}")
                    else:
                        started = time.monotonic()
                        inproc = block.lang != "python" and _plain_cli(seg)
                        last = _run_in_process(seg) if inproc else _run(seg, env, block.lang)
                        shown = seg.splitlines()[0] + (" …" if "\n" in seg else "")
                        how = "in-process" if inproc else "subprocess"
                        log.append(
                            f"RAN  {where}: {shown}  ({how}, {time.monotonic() - started:.1f} s) → {last}"
                        )
        # what the commands wrote into the working directory: check it, then tidy up
        for name in ("ulm-lernnetz.html", "myk.html", "ulm.html"):
            page = REPO / name
            assert page.exists() and "vis-network" in page.read_text(encoding="utf-8"), name
    finally:
        for p in REPO.iterdir():
            if p.name not in before and p.is_file() and p.suffix == ".html":
                p.unlink()
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print("\nREADME commands:\n  " + "\n  ".join(log))
    ran = [line for line in log if line.startswith("RAN")]
    assert len(ran) >= 19, log  # 4 in "Two commands", 14 in "Using it", the face example
