"""Import cycles among the modules of paddle_inade, from their source (ast; nothing is imported).

    python benchmarks/import_cycles.py            # module-level and function-level imports
    python benchmarks/import_cycles.py --top      # module-level imports only

An edge A -> B means that A imports B somewhere (at the top, or with --all also inside a function:
a lazy import still ties the two modules together). Importing ``a.b.c`` also runs ``a/__init__``
and ``a/b/__init__``, so those are edges too (except the importer's own packages). A cycle is a
strongly connected component of more than one module; each is printed with one loop through it.
Exit code 1 when there is a cycle.
"""
from __future__ import annotations

import argparse
import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "paddle_inade"


def module_names(root: str = ROOT, package: str = PACKAGE) -> dict[str, str]:
    """{dotted module name: file} of every module under the package."""
    names = {}
    for folder, _, files in os.walk(os.path.join(root, package)):
        for file in files:
            if file.endswith(".py"):
                rel = os.path.relpath(os.path.join(folder, file), root)[:-3].split(os.sep)
                names[".".join(rel[:-1] if rel[-1] == "__init__" else rel)] = os.path.join(folder, file)
    return names


def _base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    parts = parts[:len(parts) - node.level + 1]
    return ".".join(parts + ([node.module] if node.module else []))


def imported(module: str, file: str, known: set, top_only: bool) -> set:
    """The package's modules that ``module`` imports (with their parent packages)."""
    tree = ast.parse(open(file, encoding="utf-8").read(), file)
    nodes = tree.body if top_only else list(ast.walk(tree))
    is_package = file.endswith("__init__.py")
    targets = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, is_package, node)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.add(full if full in known else base)
    own = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 2)}
    edges = set()
    for target in targets:
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name in known and name not in own:
                edges.add(name)
    edges.discard(module)
    return edges


def cycles(graph: dict[str, set]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(start):
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def loop_through(graph: dict[str, set], component: list[str]) -> list[str]:
    """One shortest loop from the component's first module back to itself."""
    members, start = set(component), component[0]
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop(0)
        for child in sorted(graph[path[-1]] & members):
            if child == start:
                return path + [start]
            if child not in seen:
                seen.add(child)
                paths.append(path + [child])
    return component


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", action="store_true", help="module-level imports only")
    args = parser.parse_args(argv)
    names = module_names()
    graph = {m: imported(m, f, set(names), args.top) for m, f in names.items()}
    found = cycles(graph)
    kind = "module-level" if args.top else "module- and function-level"
    print(f"{len(names)} modules, {sum(map(len, graph.values()))} {kind} import edges, {len(found)} cycle(s)")
    for component in found:
        print(f"- {len(component)} modules: {' -> '.join(loop_through(graph, component))}")
        if len(component) > 2:
            print(f"  all: {', '.join(component)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
