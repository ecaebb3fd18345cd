"""智能匹配's quality on the labelled set (tests/matching/labelled_needs.py): precision@1 and
precision@3 of the old scoring (category, 邻里单元, availability, load: one list per category and
邻里单元) and the new one (hard limits, then what the need says, with the same reasons).

    .venv/bin/python bench/matching_quality.py [--misses]

No database: the catalogue and the needs are scored in memory, as a run scores them.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the needs the new one misses")
    options = parser.parse_args()

    from coop import create_app
    from tests.matching import labelled_needs as labelled

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context(), app.test_request_context():
        started = time.perf_counter()
        old = labelled.precision_old()
        new = labelled.precision_new()
        took = time.perf_counter() - started
        print(
            f"labelled set: {len(labelled.NEEDS)} needs, {len(labelled.CATALOGUE)} resources"
            f" ({took:.1f} s, jieba's dictionary load included)"
        )
        print(f"{'scoring':<8} {'precision@1':>12} {'precision@3':>12}")
        print(f"{'old':<8} {old[0]:>12.3f} {old[1]:>12.3f}")
        print(f"{'new':<8} {new[0]:>12.3f} {new[1]:>12.3f}")
        if options.misses:
            for need, ranking in labelled.misses():
                print(f"  miss: {need.title} → {' / '.join(ranking[:3])}")


if __name__ == "__main__":
    main()
