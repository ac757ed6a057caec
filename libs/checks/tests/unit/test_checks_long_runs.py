"""Long runs of punctuation, or of digits with separators, cost time linear in their length.

Found by running bench/bench_checks.py (adversarial texts): after the separator folding of the term-evasion
fixes, 100,000 characters of "((((…x.cn))))" took 91.9 s (the pattern backtracked into the run from every
start). A quadratic cost shows at 30,000 characters as seconds; linear is a few hundredths.
"""

import time

import pytest

from govmedia_checks import CheckEngine

N = 30_000


@pytest.mark.parametrize(
    "text",
    [
        "(" * (N // 2) + "x.cn" + ")" * (N // 2),
        "【" * N,
        "法" + "，" * N + "轮",
        ("1." * N)[:N],
        ("一 " * N)[:N],
        ("http://" * N)[:N],
        ("a . " * N)[:N],
        ("a[.]" * N)[:N],
        ("1.1.1.1/" * N)[:N],
        ("中国." * N)[:N],
        ("a.中国" * N)[:N],
        "a" + " " * N + "b",
        "政策" + "\u3000" * N + "解读",
        ("ab " + " " * 100) * (N // 103),
    ],
    ids=[
        "nested-brackets",
        "brackets",
        "one-long-gap",
        "digits-dotted",
        "chinese-digits-spaced",
        "schemes",
        "spaced-dots",
        "defanged-dots",
        "ip-paths",
        "chinese-tld-chain",
        "hosts-under-chinese-tlds",
        "one-long-space",
        "one-long-ideographic-space",
        "space-runs-between-words",
    ],
)
def test_a_long_adversarial_run_is_checked_in_linear_time(engine: CheckEngine, text: str) -> None:
    started = time.process_time()
    engine.check(text)
    assert time.process_time() - started < 3.0
