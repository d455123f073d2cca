"""The layers of base_ops, checked by reading the source (issue 16, "one home for each concept").

- The kernel (base_ops/core) imports no domain package: a domain may build on the kernel, never the
  other way round, so the kernel can be read, tested and changed without the domains.
- No module reaches into another top-level package's private names (`_name`): what a package shares
  it makes public, with a name and a docstring, so its author knows who depends on it.
- The seed modules import one another without a cycle.

Function-level imports count as much as module-level ones: they are the same dependency, only later.
"""

from __future__ import annotations

import ast
from pathlib import Path

import base_ops

PACKAGE_DIR = Path(base_ops.__file__).parent
ROOT = PACKAGE_DIR.parent

# What the kernel may import from base_ops: itself, the Flask extensions and the configuration.
KERNEL_MAY_IMPORT = ("base_ops.core", "base_ops.extensions", "base_ops.config")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules_under(directory: Path) -> dict[str, Path]:
    return {module_name(path): path for path in sorted(directory.rglob("*.py"))}


ALL_MODULES = modules_under(PACKAGE_DIR)


def top_package(name: str) -> str:
    """'base_ops.seed.loaders' -> 'base_ops.seed'; 'base_ops.config' -> 'base_ops.config'."""
    return ".".join(name.split(".")[:2])


def is_within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def imported_names(path: Path) -> list[tuple[int, str, str | None, str]]:
    """(line, module, name, bound as) of every absolute import in the file, at any depth.

    `import a.b` gives (line, 'a.b', None, 'a'); `from a import b as c` gives (line, 'a', 'b', 'c').
    """
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, None, alias.asname or alias.name.split(".")[0])
                         for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.extend((node.lineno, node.module, alias.name, alias.asname or alias.name) for alias in node.names)
    return found


def imported_modules(path: Path) -> set[str]:
    """The base_ops modules a file imports; `from package import module` counts as the module."""
    modules = set()
    for _line, module, name, _bound in imported_names(path):
        if name is not None and f"{module}.{name}" in ALL_MODULES:
            modules.add(f"{module}.{name}")
        elif module.startswith("base_ops"):
            modules.add(module)
    return modules


def kernel_imports_of_domains() -> list[str]:
    problems = []
    for name, path in modules_under(PACKAGE_DIR / "core").items():
        for line, module, _name, _bound in imported_names(path):
            if is_within(module, "base_ops") and not any(is_within(module, ok) for ok in KERNEL_MAY_IMPORT):
                problems.append(f"{name}:{line} imports {module}")
    return sorted(set(problems))


def private_names_across_packages() -> list[str]:
    """`from other.package import _private`, and `alias._private` where alias names another package's module."""
    problems = []
    for name, path in ALL_MODULES.items():
        own = top_package(name)
        aliases: dict[str, str] = {}
        for line, module, imported, bound in imported_names(path):
            if not module.startswith("base_ops"):
                continue
            if imported is None:  # `import a.b as c` binds c to a.b; `import a.b` binds a to a
                aliases[bound] = bound if bound == module.split(".")[0] else module
                continue
            aliases[bound] = f"{module}.{imported}"
            if imported.startswith("_") and top_package(module) != own:
                problems.append(f"{name}:{line} imports {module}.{imported}")
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")):
                continue
            chain, base = [], node.value
            while isinstance(base, ast.Attribute):
                chain.insert(0, base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id in aliases:
                target = ".".join([aliases[base.id], *chain])
                if top_package(target) != own:
                    problems.append(f"{name}:{node.lineno} uses {target}.{node.attr}")
    # Local assignments can shadow an imported alias; a duplicate finding is harmless, a miss is not.
    return sorted(set(problems))


def import_cycles(package: str) -> list[list[str]]:
    """Cycles among the modules of `package` (each cycle once, as the path that closes it)."""
    modules = {name: path for name, path in ALL_MODULES.items() if is_within(name, package)}
    edges = {name: sorted(m for m in imported_modules(path) if m in modules and m != name)
             for name, path in modules.items()}
    cycles, done = [], set()

    def visit(name: str, path: list[str]) -> None:
        for target in edges[name]:
            if target in path:
                cycles.append([*path[path.index(target):], target])
            elif target not in done:
                visit(target, [*path, target])
        done.add(name)

    for name in modules:
        if name not in done:
            visit(name, [name])
    return cycles


def test_the_kernel_imports_no_domain():
    assert kernel_imports_of_domains() == []


def test_no_module_uses_another_packages_private_names():
    assert private_names_across_packages() == []


def test_the_seed_modules_import_one_another_without_a_cycle():
    assert import_cycles("base_ops.seed") == []
