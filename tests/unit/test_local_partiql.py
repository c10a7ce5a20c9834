"""The emulator's PartiQL subset: parsing, conditions and updates, without an emulator."""

from __future__ import annotations

import pytest

from trellis.local import _partiql

ITEM = {"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "5"}, "m": {"M": {"x": {"L": [{"S": "q"}]}}}}


def test_a_select_with_parameters_and_no_spaces() -> None:
    tree = _partiql.parse(
        'SELECT n, pk FROM "t"."i" WHERE pk=? AND sk >= 1 AND m.x[0] = \'q\'', [{"S": "a"}]
    )
    assert isinstance(tree, _partiql.Select)
    assert (tree.table, tree.index) == ("t", "i")
    assert _partiql.matches(tree.where, ITEM)
    assert _partiql.project(ITEM, tree.projection) == {"n": {"N": "5"}, "pk": {"S": "a"}}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("n BETWEEN 4 AND 6", True),
        ("n IN [1, 2]", False),
        ("missing IS MISSING", True),
        ("n IS NOT MISSING AND NOT (pk = 'b')", True),
        ("pk = 'b' OR n > 4", True),
        ("n <> 5", False),
        ("n < '9'", False),  # a number and a string do not compare
    ],
)
def test_conditions(condition: str, expected: bool) -> None:
    tree = _partiql.parse(f"SELECT * FROM t WHERE {condition}")
    assert _partiql.matches(tree.where, ITEM) is expected


def test_an_update_sets_removes_and_adds_without_touching_its_input() -> None:
    tree = _partiql.parse(
        "UPDATE t SET n = n + 2.5, m.y = 'new', s = <<1, 2>> REMOVE m.x WHERE pk = 'a' AND sk = 1"
    )
    assert dict(_partiql.key_equalities(tree.where)) == {"pk": {"S": "a"}, "sk": {"N": "1"}}
    updated = _partiql.apply_update(tree, ITEM)
    assert updated["n"] == {"N": "7.5"}
    assert updated["m"] == {"M": {"y": {"S": "new"}}}
    assert updated["s"] == {"NS": ["1", "2"]}
    assert ITEM["n"] == {"N": "5"}


def test_an_insert_takes_a_map_value() -> None:
    tree = _partiql.parse(
        "INSERT INTO \"t\" VALUE {'pk': 'it''s', 'ok': TRUE, 'none': NULL, 'l': [-1]}"
    )
    assert isinstance(tree, _partiql.Insert)
    assert tree.value == {
        "M": {
            "pk": {"S": "it's"},
            "ok": {"BOOL": True},
            "none": {"NULL": True},
            "l": {"L": [{"N": "-1"}]},
        }
    }


@pytest.mark.parametrize(
    ("statement", "parameters", "error"),
    [
        ("SELEKT * FROM t", [], _partiql.Unsupported),
        ("SELECT * FROM t WHERE pk = ?", [], _partiql.StatementError),
        ("SELECT * FROM t WHERE pk = 'a'", [{"S": "extra"}], _partiql.StatementError),
        ("SELECT * FROM t WHERE pk LIKE 'a%'", [], _partiql.Unsupported),
        ("UPDATE t WHERE pk = 'a'", [], _partiql.Unsupported),
        ("INSERT INTO t VALUE <<1, 'a'>>", [], _partiql.StatementError),
    ],
)
def test_what_it_refuses(
    statement: str, parameters: list[dict[str, str]], error: type[Exception]
) -> None:
    with pytest.raises(error):
        _partiql.parse(statement, parameters)
