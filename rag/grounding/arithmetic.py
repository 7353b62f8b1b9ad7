"""The arithmetic of comparisons and multi-step questions, done in code on figures the documents state,
and written out so a reader (and the claim checks, rag.citations.verified_results) can verify it:
'715.7−510.3=205.4'."""

from __future__ import annotations


def fmt(value: float, places: int = 2) -> str:
    """At most `places` decimals, no trailing zeros: 205.4, 2, 1.67."""
    text = f"{value:.{places}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text  # 180, not 18
    return "0" if text in ("-0", "") else text


def _decimals(*numbers: str) -> int:
    return max((len(n.split(".")[1]) if "." in n else 0) for n in numbers)


def difference(a: str, b: str) -> tuple[float, str]:
    value = round(float(a) - float(b), _decimals(a, b))
    return value, f"{a}−{b}={fmt(value, _decimals(a, b))}"


def total(values: list[str]) -> tuple[float, str]:
    value = round(sum(float(v) for v in values), _decimals(*values))
    return value, f"{'+'.join(values)}={fmt(value, _decimals(*values))}"


def ratio(a: str, b: str) -> tuple[float, str] | None:
    if float(b) == 0:
        return None
    value = float(a) / float(b)
    return value, f"{a}÷{b}≈{fmt(value, 1 if abs(value) >= 1 else 2)}"  # '约11.9倍', '约0.67


def growth(new: str, old: str) -> tuple[float, str] | None:
    if float(old) == 0:
        return None
    value = (float(new) - float(old)) / float(old) * 100
    return value, f"({new}−{old})÷{old}≈{fmt(value, 1)}%"  # '%': the share is shown in per cent
