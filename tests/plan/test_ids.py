import pytest

from datamill.plan.ids import PartitionId, file_key


def test_partition_id_round_trips_and_sorts_in_plan_order() -> None:
    a = PartitionId(3, file_key("a.jsonl"), 3000, 4000)
    b = PartitionId(12, file_key("a.jsonl"), 12000, 12500)
    assert PartitionId.parse(str(a)) == a
    assert str(a) == f"000003_{file_key('a.jsonl')}_3000-4000"
    assert sorted([str(b), str(a)]) == [str(a), str(b)]


@pytest.mark.parametrize("bad", ["", "p1", "000001_xyz_1-2", "000001_0123abcd_1"])
def test_parse_rejects_what_is_not_an_id(bad: str) -> None:
    with pytest.raises(ValueError, match="not a partition id"):
        PartitionId.parse(bad)
