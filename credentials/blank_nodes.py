"""The shape of a document's blank nodes, checked on its quads before RDF canonicalisation.

RDFC-1.0 labels blank nodes by hashing what surrounds each one. Where two or more look alike (the
same statements once blank nodes are blanked out), it tries every order of their look-alike
neighbours, recursively: the cost is factorial. Credentials nest their objects, so their blank
nodes form a tree — each the object of at most one statement, no cycle, no graph named by one —
and in a tree the cost lies only where look-alikes are linked to look-alikes: a node with k
look-alike children costs k! orders, and a chain of them (an @list of equal items) is walked from
each of its nodes. Both are measured here before any hashing, so a document whose canonicalisation
could not finish quickly is refused, whatever its size and however its blank nodes were made.

Quads come as four strings in N-Quads form (a blank node starts with "_:"; the graph is None for
the default graph), so that both canonicalisers' readings can be checked by the same code.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

# Units of canonicalisation work, estimated as (linked look-alikes)³ × ∏ orders of their look-alike
# neighbours: an upper bound, near the truth for chains and stars. Measured on one core, 10⁵ units
# cost pyoxigraph ≤ 20 ms and PyLD ≤ 0.25 s (an @list of 50 objects, the worst per unit). It admits
# 5 look-alike children under each of 3 look-alike parents, or an @list of some 45 objects; every
# credential we and Inji Certify issue scores under 100.
MAX_WORK = 100_000

Quad = tuple[str, str, str, str | None]


class BlankNodeShapeError(ValueError):
    """The blank nodes do not form a tree, or look so alike that labelling them is unbounded work."""


def check_blank_nodes(quads: Iterable[Quad]) -> int:
    """Raise BlankNodeShapeError unless the blank nodes form a tree whose canonical labelling is
    bounded work; return that work's estimate (in MAX_WORK's units)."""
    parent: dict[str, str] = {}  # blank node -> the blank node whose statement it is the object of
    objects: set[str] = set()
    statements: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for subject, predicate, obj, graph in quads:
        if graph is not None and _blank(graph):
            raise BlankNodeShapeError("it holds a graph named by a blank node (an embedded proof or credential)")
        if _blank(obj):
            if obj in objects:
                raise BlankNodeShapeError(
                    "an object without an id is the value of two statements; credentials nest their objects, "
                    "they do not share them"
                )
            objects.add(obj)
            statements[obj].append(("s", predicate, subject))
            if _blank(subject):
                parent[obj] = subject
        if _blank(subject):
            statements[subject].append(("o", predicate, obj))
    _refuse_cycles(parent)
    return _labelling_work(statements)


def _blank(term: str) -> bool:
    return term.startswith("_:")


def _refuse_cycles(parent: dict[str, str]) -> None:
    """Each blank node has at most one blank parent; following parents must end at a root."""
    settled: set[str] = set()
    for start in parent:
        path: set[str] = set()
        node: str | None = start
        while node is not None and node not in settled:
            if node in path:
                raise BlankNodeShapeError("its objects without ids contain one another in a cycle")
            path.add(node)
            node = parent.get(node)
        settled |= path


def _labelling_work(statements: dict[str, list[tuple[str, str, str]]]) -> int:
    looks = {node: _first_degree(node, around) for node, around in statements.items()}
    alike = Counter(looks.values())
    lookalikes = {node for node, look in looks.items() if alike[look] > 1}
    work, seen = 0, set()
    for start in lookalikes:
        if start in seen:
            continue
        group, orders, pending = 0, 1, [start]
        seen.add(start)
        while pending:
            node = pending.pop()
            group += 1
            neighbours = Counter(
                (position, predicate, looks[other])
                for position, predicate, other in statements[node]
                if other in lookalikes
            )
            for count in neighbours.values():
                orders = min(orders * _factorial(count), MAX_WORK + 1)
            for _, _, other in statements[node]:
                if other in lookalikes and other not in seen:
                    seen.add(other)
                    pending.append(other)
        work += min(group**3 * orders, MAX_WORK + 1)
        if work > MAX_WORK:
            raise BlankNodeShapeError(
                f"{group} of its objects without ids look alike and are linked to one another: canonicalising "
                "them would take unbounded time (credentials do not repeat nested objects like this)"
            )
    return work


def _first_degree(node: str, around: list[tuple[str, str, str]]) -> tuple[str, ...]:
    """What RDFC-1.0's first-degree hash sees of a node: its statements, other blank nodes blanked."""
    return tuple(
        sorted(f"{position} {predicate} {'_:z' if _blank(other) else other}" for position, predicate, other in around)
    )


def _factorial(count: int) -> int:
    result = 1
    for factor in range(2, count + 1):
        result *= factor
        if result > MAX_WORK:
            return MAX_WORK + 1
    return result
