"""The emailcheck command, in-process and as a real subprocess."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emailcheck._cli import main
from emailcheck.testing import MailDomain, Sandbox

SRC = str(Path(__file__).resolve().parent.parent / "src")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    world = {"shop.test": MailDomain(mailboxes={"alice", "sales"}),
             "any.test": MailDomain(catch_all=True)}
    with Sandbox(world) as running:
        yield running


def sandbox_args(sandbox: Sandbox) -> list[str]:
    assert sandbox.dns is not None
    return ["--nameserver", sandbox.dns.host, "--dns-port", str(sandbox.dns.port),
            "--smtp-port", str(sandbox.smtp_port), "--allow-private-hosts",
            "--allow-special-use", "test", "--helo", "probe.sandbox.test",
            "--mail-from", "probe@sandbox.test", "--smtp-timeout", "1"]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as handle:
        return list(csv.DictReader(handle))


def test_addresses_print_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--offline", "john@gmal.com", "john..doe@company.com"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["address", "status", "reason"]
    assert out[1].split()[:4] == ["john@gmal.com", "risky", "possible_typo", "john@gmail.com"]
    assert out[2].split()[:3] == ["john..doe@company.com", "invalid",
                                  "local_part_consecutive_dots"]


def test_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--offline", "--json", "a@b.com", "x"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [record["status"] for record in records] == ["unknown", "invalid"]


def test_fail_on_and_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--offline", "--fail-on", "invalid", "x"]) == 3
    assert main(["--offline", "--fail-on", "invalid", "a@b.com"]) == 0
    assert main([]) == 2
    assert main(["--offline", "--fail-on", "bogus", "a@b.com"]) == 2
    assert main(["--offline", "-i", str(tmp_path / "missing.csv")]) == 2
    assert main(["--resume", "-i", "x.csv"]) == 2
    assert main(["--no-such-option"]) == 2
    (tmp_path / "l.csv").write_text("name,mail\nx,a@b.com\n")
    assert main(["--offline", "-i", str(tmp_path / "l.csv"), "--column", "nope"]) == 2
    assert "no column 'nope'" in capsys.readouterr().err


def test_csv_keeps_columns_and_reports_unreadable_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "list.csv"
    source.write_bytes(
        b"id,Email Address,name\n1,john@gmal.com,John\n2\n3,\xff@x.com,Bin\n"
        b"4,sales@company.co.uk,Sam\n")
    output = tmp_path / "out.csv"
    code = main(["--offline", "-i", str(source), "-o", str(output), "--split-dir",
                 str(tmp_path / "split")])
    assert code == 1  # some rows could not be read
    rows = read_csv(output)
    assert [row["id"] for row in rows] == ["1", "2", "3", "4"]
    assert [row["status"] for row in rows] == ["risky", "error", "error", "unknown"]
    assert rows[0]["name"] == "John"
    assert rows[0]["suggestion"] == "john@gmail.com"
    assert rows[3]["flags"] == "role"
    assert rows[0]["checked_at"].startswith("20")
    err = capsys.readouterr().err
    assert "line 3:" in err
    assert "line 4: not valid UTF-8" in err
    assert "risky 1" in err
    assert sorted(p.name for p in (tmp_path / "split").iterdir()) == [
        "error.csv", "risky.csv", "unknown.csv"]
    assert [row["id"] for row in read_csv(tmp_path / "split" / "unknown.csv")] == ["4"]


def test_text_jsonl_and_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = tmp_path / "list.txt"
    text.write_text("a@b.com\n\nx\n")
    assert main(["--offline", "-i", str(text)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("email,status,reason")
    assert [line.split(",")[1] for line in lines[1:]] == ["unknown", "invalid"]
    jsonl = tmp_path / "list.jsonl"
    jsonl.write_text('{"email": "a@b.com", "id": 7}\n"x"\n{"mail": 1}\n')
    assert main(["--offline", "-i", str(jsonl)]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [record["status"] for record in records] == ["unknown", "invalid", "error"]
    assert records[0]["id"] == 7
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("a@b.com\n"))
    assert main(["--offline", "-i", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "unknown"


def test_network_list_against_the_sandbox(sandbox: Sandbox, tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    source.write_text("email\nalice@shop.test\nbob@shop.test\nx@any.test\nx@missing.test\n")
    output = tmp_path / "out.csv"
    assert main([*sandbox_args(sandbox), "-q", "-i", str(source), "-o", str(output)]) == 0
    rows = read_csv(output)
    assert [(row["status"], row["reason"]) for row in rows] == [
        ("valid", "accepted"), ("invalid", "mailbox_not_found"), ("catch_all", "catch_all"),
        ("invalid", "domain_not_found")]
    assert rows[0]["mx_host"] == "mx1.shop.test"


def test_bounce_is_dispatched_or_explained(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        import emailcheck.bounces._cli  # noqa: F401
    except ImportError:
        assert main(["bounce", "--help"]) == 2
        assert "bounce command is not available" in capsys.readouterr().err
    else:
        pytest.skip("the bounce command exists; its own tests cover it")


def run_cli(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-m", "emailcheck", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False, **kwargs)  # type: ignore[call-overload]


def test_python_dash_m() -> None:
    completed = run_cli("--offline", "--json", "john@gmal.com")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["suggestion"] == "john@gmail.com"


def test_ctrl_c_leaves_a_complete_file_and_resume_finishes(tmp_path: Path) -> None:
    total = 300_000
    source = tmp_path / "big.csv"
    with open(source, "w") as handle:
        handle.write("email,n\n")
        for i in range(total):
            handle.write(f"user{i}@example{i % 97}.com,{i}\n")
    output = tmp_path / "out.csv"
    env = {**os.environ, "PYTHONPATH": SRC}
    process = subprocess.Popen(
        [sys.executable, "-m", "emailcheck", "--offline", "-i", str(source), "-o",
         str(output)], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (
            not output.exists() or output.stat().st_size < 200_000):
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted after" in err
    data = output.read_bytes()
    assert data.endswith(b"\n")
    rows = read_csv(output)
    first = len(rows)
    assert 0 < first < total
    assert all(len(row) == 8 and row["checked_at"] for row in rows)
    assert [int(row["n"]) for row in rows] == list(range(first))

    completed = run_cli("--offline", "-i", str(source), "-o", str(output), "--resume")
    assert completed.returncode == 0, completed.stderr
    assert f"checked {total - first:,} rows (plus {first:,} from the earlier run)" in (
        completed.stderr)
    rows = read_csv(output)
    assert [int(row["n"]) for row in rows] == list(range(total))


def test_ctrl_c_mid_row_leaves_the_output_and_every_split_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """SIGINT arrives while a row is being written to the main output (the worst
    moment): that row still reaches its split file, every file ends on a whole row,
    and the split files hold exactly the rows of the output."""
    from emailcheck import _cli

    source = tmp_path / "list.csv"
    with open(source, "w") as handle:
        handle.write("email,n\n")
        for i in range(400):  # valid-looking, invalid and role rows: several split files
            address = ("x..y" if i % 3 == 0 else "info" if i % 3 == 1 else f"u{i}")
            handle.write(f"{address}@example{i % 7}.com,{i}\n")
    output = tmp_path / "out.csv"
    split = tmp_path / "split"
    real_write = _cli._Output.write
    written = 0

    def write(self: _cli._Output, record: object) -> None:
        nonlocal written
        real_write(self, record)
        if getattr(self.handle, "name", None) == str(output):
            written += 1
            if written == 150:  # between this row's main write and its split write
                signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(_cli._Output, "write", write)
    code = main(["--offline", "-i", str(source), "-o", str(output), "--split-dir", str(split)])
    assert code == 130
    assert "interrupted after 150 rows" in capsys.readouterr().err
    rows = read_csv(output)
    assert [int(row["n"]) for row in rows] == list(range(150))
    split_rows: list[dict[str, str]] = []
    for path in sorted(split.iterdir()):
        assert path.read_bytes().endswith(b"\n")
        part = read_csv(path)
        assert {row["status"] for row in part} == {path.stem}
        split_rows.extend(part)
    assert sorted(split_rows, key=lambda row: int(row["n"])) == rows
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
