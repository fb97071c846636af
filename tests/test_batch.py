"""Batch: verify_batch() collects results in order, counts them, and renders them."""

from __future__ import annotations

import asyncio

import pytest

from emailcheck import Batch, Status, Verifier
from emailcheck.testing import MailDomain

ADDRESSES = ["Jane@Company.co.uk", "john..doe@company.com", "John@Gmal.com",
             "x@mailinator.com", "<b>@company.co.uk"]


@pytest.fixture(scope="module")
def batch() -> Batch:
    return Verifier().verify_batch(ADDRESSES, dns=False)


def test_keeps_input_order_and_is_a_sequence(batch: Batch) -> None:
    assert len(batch) == 5
    assert [result.input for result in batch] == ADDRESSES
    assert batch[1].reason == "local_part_consecutive_dots"
    assert isinstance(batch[1:3], Batch)
    assert [r.input for r in batch[1:3]] == ADDRESSES[1:3]
    assert batch == Batch(list(batch))


def test_counts_every_status(batch: Batch) -> None:
    assert batch.counts() == {Status.VALID: 0, Status.CATCH_ALL: 0, Status.RISKY: 2,
                              Status.UNKNOWN: 1, Status.INVALID: 2}
    assert repr(batch) == "<Batch 5 results: risky=2, unknown=1, invalid=2>"


def test_select_by_status_or_reason(batch: Batch) -> None:
    assert [r.input for r in batch.select("risky")] == ["John@Gmal.com", "x@mailinator.com"]
    assert [r.input for r in batch.select("possible_typo", "unknown")] == [
        "Jane@Company.co.uk", "John@Gmal.com"]


def test_records_are_flat_and_json_native(batch: Batch) -> None:
    record = batch.to_records()[2]
    assert record["email"] == "John@gmal.com"
    assert record["status"] == "risky"
    assert record["reason"] == "possible_typo"
    assert record["suggestion"] == "John@gmail.com"
    assert type(record["status"]) is str
    assert type(record["reason"]) is str


def test_dataframe(batch: Batch) -> None:
    pytest.importorskip("pandas")
    frame = batch.to_dataframe()
    assert list(frame["status"]) == ["unknown", "invalid", "risky", "risky", "invalid"]
    assert bool(frame.loc[3, "disposable"])
    assert frame.columns[0] == "input"


def test_html_table_escapes_input(batch: Batch) -> None:
    page = batch._repr_html_()
    assert "5 results" in page
    assert "&lt;b&gt;@company.co.uk" in page
    assert "<b>@" not in page
    assert page.count("<tr>") == 6


def test_long_html_table_is_cut() -> None:
    many = Verifier().verify_batch([f"user{i}@company.co.uk" for i in range(60)], dns=False)
    page = many._repr_html_()
    assert page.count("<tr>") == 51
    assert "… 10 more" in page


def test_sync_verify_batch_inside_a_running_loop(email_sandbox) -> None:  # type: ignore[no-untyped-def]
    # As in a notebook cell: the sync API called while an event loop runs in this thread.
    sandbox = email_sandbox({"shop.test": MailDomain(mailboxes={"alice"})})
    verifier = sandbox.verifier()

    async def cell() -> Batch:
        return verifier.verify_batch(["alice@shop.test", "bob@shop.test"])

    batch = asyncio.run(cell())
    assert [(r.status, r.reason) for r in batch] == [
        ("valid", "accepted"), ("invalid", "mailbox_not_found")]
