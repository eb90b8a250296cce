import pytest

from apps.core.strict_json import MalformedJSON, loads


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"a": 1, "a": 2}', "Duplicated key 'a'"),
        (b'{"a": NaN}', "NaN is not valid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b"[" * 100 + b"]" * 100, "nested deeper"),
        (b"", "empty"),
        (b'{"a": 1,}', "line 1, column 9"),
        (b'{"a": 1e999}', "out of range"),
        (b'{"a": "\\ud800"}', "lone surrogate (\\ud800)"),
        (b'{"a": ["x\\udfffy"]}', "lone surrogate (\\udfff)"),
        (b'{"\\udc00": 1}', "lone surrogate (\\udc00)"),
        (b'{"a": "\\ude00\\ud83d"}', "lone surrogate"),  # a pair in the wrong order
    ],
)
def test_bad_bodies_are_refused_with_a_reason(body, fragment):
    with pytest.raises(MalformedJSON) as excinfo:
        loads(body)
    assert fragment in str(excinfo.value)


def test_a_utf8_bom_is_tolerated():
    assert loads('\ufeff{"a": 1}'.encode()) == {"a": 1}


def test_a_surrogate_pair_is_one_character_and_accepted():
    assert loads(b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
