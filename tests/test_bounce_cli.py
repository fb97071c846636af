"""``emailcheck bounce``: rows, JSON lines, mbox, stdin, exit codes, hostile text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import emailcheck
from emailcheck.bounces._cli import COLUMNS, main

SAMPLES = Path(__file__).resolve().parent / "samples" / "bounces"
SRC = str(Path(emailcheck.__file__).resolve().parent.parent)


def rows(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()]


def test_one_row_per_recipient(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(SAMPLES / "multi_recipient_dsn.eml")
    assert main([path]) == 0
    table = rows(capsys.readouterr().out)
    assert all(len(row) == len(COLUMNS) for row in table)
    assert [row[1:7] for row in table] == [
        ["m.santos@ribeira.example", "failed", "5.1.1", "hard", "bad_mailbox",
         "mailbox_not_found"],
        ["pieter.devries@polder-bouw.example", "failed", "5.2.2", "soft", "mailbox_full",
         "mailbox_full"],
        ["a.kowalczyk@wisla-logistyka.example", "failed", "5.4.4", "hard", "bad_domain",
         "domain_not_served"],
    ]
    assert {row[0] for row in table} == {path}


def test_messages_without_recipients_get_one_row(capsys: pytest.CaptureFixture[str]) -> None:
    names = ["vacation_auto_reply.eml", "arf_feedback.eml", "not_a_bounce.eml"]
    assert main([str(SAMPLES / name) for name in names]) == 0
    assert [(row[1], row[4], row[7]) for row in rows(capsys.readouterr().out)] == [
        ("-", "auto_reply", ""), ("-", "feedback_report", "abuse"), ("-", "not_a_bounce", ""),
    ]


def test_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--jsonl", str(SAMPLES / "qmail.eml"), str(SAMPLES / "not_a_bounce.eml")]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["report"]["kind"], line["recipient"] and line["recipient"]["address"])
            for line in lines] == [
        ("non_standard", "c.dubois@fromagerie.example"),
        ("non_standard", "ventes@ancienne-societe.example"),
        ("not_a_bounce", None),
    ]
    first = lines[0]["recipient"]
    assert (first["kind"], first["category"], first["status"], first["remote_mta"]) == (
        "hard", "bad_mailbox", "5.1.1", "198.51.100.66")
    assert lines[0]["report"]["original_message_id"] == "<ticket-8841-update@saas.example>"


def test_mbox(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(SAMPLES / "bounces.mbox")
    assert main(["--mbox", path]) == 0
    table = rows(capsys.readouterr().out)
    assert [row[0] for row in table] == [
        f"{path}#0", f"{path}#1", f"{path}#1", f"{path}#2", f"{path}#3"]
    assert main(["--mbox", "--jsonl", path]) == 0
    messages = [json.loads(line)["message"] for line in capsys.readouterr().out.splitlines()]
    assert messages == [0, 1, 1, 2, 3]


def test_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 100)
    assert main([str(garbage), str(SAMPLES / "qmail.eml")]) == 1  # not an email
    out = capsys.readouterr().out
    assert "c.dubois@fromagerie.example" in out  # the other file still reported
    assert main([str(tmp_path / "missing.eml")]) == 1
    assert "missing.eml" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["--no-such-option", "x"]) == 2
    assert main(["--max-bytes", "0", "x"]) == 2
    assert main(["--help"]) == 0


def test_control_characters_never_reach_the_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = tmp_path / "hostile.eml"
    hostile.write_bytes(
        b"From: MAILER-DAEMON@mx.example\n\n<jo@example.org>: host mx.example[192.0.2.1] "
        b"said: 550 5.1.1 \x1b[2J\x1b]0;pwned\x07 user unknown\r\n")
    assert main([str(hostile)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\r" not in out
    assert len(out.splitlines()) == 1


def test_max_bytes_and_truncation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.eml"
    big.write_bytes((SAMPLES / "qmail.eml").read_bytes() + b"x" * 3_000_000)
    assert main(["--jsonl", "--max-bytes", "100000", str(big)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(line["report"]["truncated"] for line in lines)
    assert len(lines) == 2


def test_stdin_and_module_entry_point() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [SRC, *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run(
        [sys.executable, "-m", "emailcheck.bounces._cli", "-"],
        input=(SAMPLES / "exim_failed.eml").read_bytes(), capture_output=True, env=env,
        timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    table = rows(done.stdout.decode())
    assert [(row[0], row[1], row[4]) for row in table] == [
        ("-", "t.nakamura@kissaten.example", "hard"),
        ("-", "orders-archive@old-bakery.example", "hard"),
    ]
