"""SHACL constraint components, one module per section of the SHACL specification (as
pySHACL splits them), registered here: each module's ``COMPONENTS`` maps the parameter a
component is keyed on to how it compiles (``common.Component``). Adding a component
touches its section's module only.
"""

from __future__ import annotations

from kb.shacl.components import (
    cardinality,
    logical,
    other,
    property_pair,
    shape_based,
    sparql_based,
    string_based,
    value_range,
    value_type,
)
from kb.shacl.components.common import Component

SECTIONS = (
    value_type,
    cardinality,
    value_range,
    string_based,
    property_pair,
    logical,
    shape_based,
    other,
    sparql_based,
)
#: parameter local name (``minCount``) -> how the component keyed on it compiles
COMPONENTS: dict[str, Component] = {
    name: found for section in SECTIONS for name, found in section.COMPONENTS.items()
}
SUPPORTED_COMPONENTS = sorted(COMPONENTS)

__all__ = ["COMPONENTS", "SUPPORTED_COMPONENTS", "Component"]
