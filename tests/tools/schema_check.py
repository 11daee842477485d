#!/usr/bin/env python3
"""Checks JSON files against a JSON Schema (draft 2020-12), using only the
standard library. It knows the keywords docs/scenario.schema.json uses and
refuses a schema that uses any other, so it never passes a file silently.

usage: schema_check.py SCHEMA FILE...   (exit 0: all valid, 1: errors, 2: usage)
"""
import json
import re
import sys

KNOWN = {"$schema", "$id", "$defs", "$ref", "$comment", "title", "description", "type",
         "properties", "required", "additionalProperties", "items", "pattern", "minimum",
         "maximum", "oneOf", "anyOf", "allOf", "not", "enum", "const", "minItems", "maxItems",
         "uniqueItems", "minLength", "maxLength", "propertyNames", "minProperties",
         "dependentRequired", "dependentSchemas", "if", "then", "else", "examples", "default",
         "patternProperties", "exclusiveMinimum", "exclusiveMaximum"}

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


class Checker:
    def __init__(self, root):
        self.root = root

    def resolve(self, ref):
        if not ref.startswith("#/"):
            raise SystemExit(f"schema_check: cannot follow $ref {ref}")
        node = self.root
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def errors(self, schema, value, path):
        if schema is True:
            return []
        if schema is False:
            return [f"{path}: no value is allowed here"]
        unknown = set(schema) - KNOWN
        if unknown:
            raise SystemExit(f"schema_check: unsupported keywords {sorted(unknown)}")
        out = []
        if "$ref" in schema:
            out += self.errors(self.resolve(schema["$ref"]), value, path)
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(TYPES[t](value) for t in types):
                return out + [f"{path}: expected {' or '.join(types)}"]
        if "enum" in schema and value not in schema["enum"]:
            out.append(f"{path}: {value!r} is not one of {schema['enum']}")
        if "const" in schema and value != schema["const"]:
            out.append(f"{path}: must be {schema['const']!r}")
        if isinstance(value, str):
            if "pattern" in schema and not re.search(schema["pattern"], value):
                out.append(f"{path}: {value!r} does not match {schema['pattern']}")
            if len(value) < schema.get("minLength", 0):
                out.append(f"{path}: too short")
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                out.append(f"{path}: too long")
        if TYPES["number"](value):
            if "minimum" in schema and value < schema["minimum"]:
                out.append(f"{path}: below {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                out.append(f"{path}: above {schema['maximum']}")
            if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
                out.append(f"{path}: not above {schema['exclusiveMinimum']}")
            if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
                out.append(f"{path}: not below {schema['exclusiveMaximum']}")
        if isinstance(value, list):
            if len(value) < schema.get("minItems", 0):
                out.append(f"{path}: fewer than {schema['minItems']} items")
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                out.append(f"{path}: more than {schema['maxItems']} items")
            if schema.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
                out.append(f"{path}: items repeat")
            if "items" in schema:
                for i, v in enumerate(value):
                    out += self.errors(schema["items"], v, f"{path}[{i}]")
        if isinstance(value, dict):
            out += self.object_errors(schema, value, path)
        for sub in schema.get("allOf", []):
            out += self.errors(sub, value, path)
        if "anyOf" in schema and not any(not self.errors(s, value, path) for s in schema["anyOf"]):
            out.append(f"{path}: matches none of the allowed shapes (anyOf)")
        if "oneOf" in schema:
            n = sum(1 for s in schema["oneOf"] if not self.errors(s, value, path))
            if n != 1:
                out.append(f"{path}: matches {n} of the oneOf shapes, not exactly one")
        if "not" in schema and not self.errors(schema["not"], value, path):
            out.append(f"{path}: matches a shape that is not allowed")
        if "if" in schema:
            branch = "then" if not self.errors(schema["if"], value, path) else "else"
            if branch in schema:
                out += self.errors(schema[branch], value, path)
        return out

    def object_errors(self, schema, value, path):
        out = []
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{path}: missing {key!r}")
        if len(value) < schema.get("minProperties", 0):
            out.append(f"{path}: too few keys")
        props = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        for key, v in value.items():
            sub = f"{path}.{key}"
            if "propertyNames" in schema:
                out += self.errors(schema["propertyNames"], key, sub)
            matched = False
            if key in props:
                matched = True
                out += self.errors(props[key], v, sub)
            for pat, s in patterns.items():
                if re.search(pat, key):
                    matched = True
                    out += self.errors(s, v, sub)
            if not matched and "additionalProperties" in schema:
                out += self.errors(schema["additionalProperties"], v, sub)
        for key, needed in schema.get("dependentRequired", {}).items():
            if key in value:
                out += [f"{path}: {key!r} needs {n!r}" for n in needed if n not in value]
        for key, s in schema.get("dependentSchemas", {}).items():
            if key in value:
                out += self.errors(s, value, path)
        return out


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    schema = json.load(open(argv[1], encoding="utf-8"))
    checker = Checker(schema)
    bad = 0
    for name in argv[2:]:
        errs = checker.errors(schema, json.load(open(name, encoding="utf-8")), "$")
        for e in errs:
            print(f"{name}: {e}")
        bad += bool(errs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
