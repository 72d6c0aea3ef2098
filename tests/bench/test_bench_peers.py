"""bench_peers at a tiny size: the corpus has the noise it claims, and the bare
script and datamill, run as the benchmark runs them, agree byte for byte."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bare_web import write_ops
from bench_peers import bare, compare, datamill
from web_corpus import TARGETS, measure, mojibake, write_corpus


def test_corpus_noise_is_near_its_targets(tmp_path: Path) -> None:
    rates = write_corpus(tmp_path / "web.jsonl", 800, seed=11)
    for name, target in TARGETS.items():
        assert abs(rates[name] - target) <= 0.2 * target + 0.005, (name, rates[name])
    assert rates["shortest document"] >= 200
    assert rates["longest document"] <= 5000
    assert 1900 <= rates["mean document"] <= 2500
    lines = (tmp_path / "web.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 800
    assert list(json.loads(lines[0])) == ["text", "timestamp", "url"]


def test_corpus_is_fixed_by_its_seed(tmp_path: Path) -> None:
    write_corpus(tmp_path / "a.jsonl", 50, seed=3)
    write_corpus(tmp_path / "b.jsonl", 50, seed=3)
    write_corpus(tmp_path / "c.jsonl", 50, seed=4)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()


def test_measure_reads_the_noise_from_the_text() -> None:
    assert mojibake("it’s a café") == "itâ€™s a cafÃ©"
    plain = "Plain words with nothing odd at all in them. " * 5
    noisy = (
        "See https://www.example.com/a?id=1 now.  Write to info@example.org today! "
        + mojibake("It’s naïve.")
        + " A café and “quotes” here."
    )
    clean_rates, noisy_rates = measure([plain]), measure([" ".join([noisy] * 3)])
    assert all(clean_rates[name] == 0 for name in TARGETS)
    assert noisy_rates["sentences with a URL"] == pytest.approx(1 / 4)
    assert noisy_rates["sentences with an e-mail"] == pytest.approx(1 / 4)
    assert noisy_rates["mojibake sentences"] == pytest.approx(1 / 4)
    assert noisy_rates["odd word gaps"] > 0
    assert noisy_rates["accented words"] > 0 and noisy_rates["words with curly quotes"] > 0


def test_bare_script_and_datamill_agree_byte_for_byte(tmp_path: Path) -> None:
    data = tmp_path / "web.jsonl"
    rates = write_corpus(data, 300, seed=5)
    ops = write_ops(tmp_path / "ops.json")
    out = tmp_path / "out"
    out.mkdir()
    systems = [bare(out, data, ops, 2), datamill(out, data, 2)]
    for system in systems:
        system.run(out)
    identical: dict[str, bool] = {}
    compare(systems[0], systems[1:], identical)
    assert identical == {"datamill": True}

    kept = [json.loads(line) for line in systems[0].output.open(encoding="utf-8")]
    dropped = 300 - len(kept)
    assert dropped >= round(rates["boilerplate documents"] * 300)  # the boilerplate, at least
    assert dropped < 300 * 0.08
    texts = "\n".join(doc["text"] for doc in kept)
    assert not re.search(r"https?://|\bwww\.|@[a-z]", texts)  # links and e-mails cleaned
    assert "\u3000" not in texts and "\t" not in texts and "â€™" not in texts  # spaces and mojibake fixed
    assert all(len(doc["text"]) >= 100 for doc in kept)


def test_a_different_output_stops_the_benchmark(tmp_path: Path) -> None:
    data = tmp_path / "web.jsonl"
    write_corpus(data, 40, seed=6)
    out = tmp_path / "out"
    out.mkdir()
    reference, other = bare(out, data, write_ops(tmp_path / "ops.json"), 1), datamill(out, data, 1)
    reference.run(out)
    other.output.write_bytes(reference.output.read_bytes().replace(b"e", b"E", 1))
    with pytest.raises(SystemExit, match="differs"):
        compare(reference, [other], {})
