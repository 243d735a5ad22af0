"""The catalog is a facade holding small parts, each given only the database:
no part reaches another through ``self`` (the mixins it was made of did)."""
from __future__ import annotations

import ast
import inspect

from mediasearch.store import catalog as catalog_pkg
from mediasearch.store.catalog import FACADE, Catalog
from mediasearch.store.catalog.base import Part


def test_catalog_holds_its_parts_and_inherits_none(tmp_path):
    assert Catalog.__mro__ == (Catalog, object)
    cat = Catalog(tmp_path / "c.sqlite")
    parts = [getattr(cat, name) for name in FACADE if name != "db"]
    assert all(isinstance(p, Part) and p.db is cat.db for p in parts)
    assert {type(p).__mro__[1:] for p in parts} == {(Part, object)}
    # Every facade name reaches a real method or attribute of its part.
    for part, names in FACADE.items():
        for name in names.split():
            assert hasattr(getattr(cat, part), name), f"{part}.{name}"
    cat.close()


def test_a_part_uses_only_the_database_and_its_own_names():
    parts = _part_classes()
    assert len(parts) == len(FACADE) - 1
    for part in parts:
        tree = ast.parse(inspect.getsource(part))
        own = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)} | {
            t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        used = {n.attr for n in ast.walk(tree)
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self"}
        assert used <= own | {"db"}, f"{part.__name__} reaches {sorted(used - own - {'db'})} through self"


def _part_classes() -> list[type]:
    return [obj for obj in vars(catalog_pkg).values()
            if isinstance(obj, type) and issubclass(obj, Part) and obj is not Part]
