"""No function of the application is longer than 50 lines: a reader holds each one in view."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "credentials", "notifications", "certificates", "issuance", "web", "agriqcert")
LIMIT = 50


def test_no_application_function_is_longer_than_fifty_lines():
    long = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = node.end_lineno - node.lineno + 1
                    if lines > LIMIT:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} has {lines} lines")

    assert long == []
