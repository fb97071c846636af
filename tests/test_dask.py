"""The Dask recipe on a LocalCluster against the sandbox (skipped without the extra)."""

from __future__ import annotations

import pytest

from emailcheck.testing import MailDomain, Sandbox

dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
pandas = pytest.importorskip("pandas", reason="the dask extra is not installed")


def test_verify_dataframe_keeps_domains_on_one_worker() -> None:
    from emailcheck._dask import verify_dataframe

    world = {f"d{i}.test": MailDomain(mailboxes={"alice", "bob"}) for i in range(4)}
    world["any.test"] = MailDomain(catch_all=True)
    addresses = [f"{name}@d{i}.test" for i in range(4) for name in ("alice", "bob", "zed")]
    addresses += [f"x{i}@any.test" for i in range(5)] + ["not an address"]
    with Sandbox(world) as sandbox, distributed.LocalCluster(
        n_workers=2, threads_per_worker=2, processes=False, dashboard_address=None,
    ) as cluster, distributed.Client(cluster):
        frame = dd.from_pandas(
            pandas.DataFrame({"email": addresses, "n": range(len(addresses))}),
            npartitions=3)
        options = sandbox.verifier().options
        checked = verify_dataframe(frame, "email", options=options, npartitions=3)
        table = checked.compute().sort_values("n")
        sessions = {name: len(sandbox.host(name).sessions) for name in world}
        recipients = [line for line in sandbox.host("any.test").commands
                      if line.startswith("RCPT")]
    statuses = dict(zip(table["email"], table["status"], strict=True))
    assert statuses["alice@d0.test"] == "valid"
    assert statuses["zed@d3.test"] == "invalid"
    assert statuses["x3@any.test"] == "catch_all"
    assert statuses["not an address"] == "invalid"
    assert list(table["n"]) == list(range(len(addresses)))
    assert set(table.columns) >= {"status", "reason", "suggestion", "flags", "mx_host",
                                  "checked_at"}
    # One partition per domain: each domain's addresses shared sessions on one worker.
    assert all(count <= 2 for count in sessions.values()), sessions
    assert len([line for line in recipients if "<x" not in line]) == 1  # one catch-all probe
