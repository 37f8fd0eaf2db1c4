"""Helpers of .ci/ops-checks (run with the venv it creates: jsonschema, pyyaml).

  ops_checks.py compose FILE SCHEMA          compose file against the compose-spec JSON Schema
  ops_checks.py crd FILE KIND SCHEMA         every document of KIND in FILE against SCHEMA
  ops_checks.py metric-names METRICS_TEXT README DASHBOARD ALERTS...
                                             every metric a dashboard query or an alert uses
                                             exists in rta's catalogue
  ops_checks.py prom-wait URL QUERY SECONDS  poll Prometheus' /api/v1/query until QUERY returns
                                             a sample with value 1 (or fail after SECONDS)
"""

import json
import re
import sys
import time
import urllib.parse
import urllib.request

import jsonschema
import yaml


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def check_compose(path, schema_path):
    with open(path) as f:
        doc = yaml.safe_load(f)  # resolves the x-rta anchor and << merge keys as compose does
    with open(schema_path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft201909Validator)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        print(f"  {path}: /{'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
    if errors:
        fail(f"{path} does not match the compose-spec schema")
    # What the schema cannot say: references between services.
    services = doc.get("services", {})
    for name, svc in services.items():
        deps = svc.get("depends_on", {})
        for dep in deps if isinstance(deps, (list, dict)) else []:
            if dep not in services:
                fail(f"service {name} depends on unknown service {dep}")
        for vol in svc.get("volumes", []):
            src = vol.split(":")[0] if isinstance(vol, str) else vol.get("source", "")
            if src and not src.startswith((".", "/")) and src not in (doc.get("volumes") or {}):
                fail(f"service {name} mounts undeclared volume {src}")
    print(f"  {path}: valid ({len(services)} services)")


def check_crd(path, kind, schema_path):
    with open(schema_path) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    n = 0
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            if not doc or doc.get("kind") != kind:
                continue
            n += 1
            errors = list(validator.iter_errors(doc))
            for e in errors:
                print(f"  {path}: {kind}: /{'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
            if errors:
                fail(f"{kind} in {path} does not match {schema_path}")
    if n == 0:
        fail(f"no {kind} in {path}")
    print(f"  {path}: {n} {kind} valid against {schema_path}")


PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "inf", "nan", "le",
}


def metric_names(expr):
    """Metric names in a PromQL expression (regex-based: strings, label matchers, grouping
    clauses and ranges removed; what is left and is not a function call, keyword or number is
    a metric name)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\$\{?\w+\}?", " ", e)  # Grafana variables
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if rest.startswith("("):
            continue  # a function or aggregation
        if word.lower() in PROMQL_WORDS:
            continue
        names.add(word)
    return names


def catalogue_from_metrics(text):
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            names.add(name)
            if kind.strip() in ("histogram", "summary"):
                names.update({f"{name}_bucket", f"{name}_sum", f"{name}_count"})
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def catalogue_from_readme(text):
    """Names in the README's metrics table (rows starting with | `rta_…`)."""
    names = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            for name in re.findall(r"`([a-z_:][a-z0-9_:]*)`", first_cell):
                names.add(name)
    return names


def check_metric_names(metrics_path, readme_path, dashboard_path, alert_paths):
    live = catalogue_from_metrics(open(metrics_path).read())
    documented = catalogue_from_readme(open(readme_path).read())
    if not live:
        fail(f"no metrics in {metrics_path}")
    # histograms of the README table: their series names
    for name in list(documented):
        if name.endswith("_seconds"):
            documented.update({f"{name}_bucket", f"{name}_sum", f"{name}_count"})
    known = live | documented | {"up"}
    used = {}
    dash = json.load(open(dashboard_path))

    def walk(node):  # every panel query ("expr"), nested rows included
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "expr" and isinstance(v, str):
                    yield v
                elif k != "templating":
                    yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v)

    exprs = list(walk(dash))
    # query variables: label_values(SELECTOR, label) / query_result(EXPR) / a plain expression
    for var in dash.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        q = var.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        m = re.match(r"^\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$", q)
        m = m or re.match(r"^\s*query_result\((.*)\)\s*$", q)
        exprs.append(m.group(1) if m else q)
    if not exprs:
        fail(f"no queries in {dashboard_path}")
    for e in exprs:
        for n in metric_names(e):
            used.setdefault(n, set()).add(dashboard_path)
    n_alerts = 0
    for p in alert_paths:
        for group in yaml.safe_load(open(p))["groups"]:
            for rule in group["rules"]:
                n_alerts += 1
                for n in metric_names(rule["expr"]):
                    used.setdefault(n, set()).add(f"{p}:{rule.get('alert', rule.get('record'))}")
    unknown = {n: w for n, w in used.items() if n not in known}
    for n, where in sorted(unknown.items()):
        print(f"  unknown metric {n} used in {', '.join(sorted(where))}", file=sys.stderr)
    if unknown:
        fail("queries use metrics that rta does not export")
    only_documented = sorted(n for n in used if n not in live and n != "up")
    print(
        f"  {len(exprs)} dashboard queries and {n_alerts} alerts use {len(used)} metrics, all in the catalogue"
        f" ({len(live)} series names on the live /metrics)"
    )
    if only_documented:
        print(
            "  note: not on the embedded default's /metrics (series appear with the Kafka service), "
            f"taken from the README catalogue: {', '.join(only_documented)}"
        )


def prom_wait(base, query, seconds):
    deadline = time.time() + float(seconds)
    last = None
    while time.time() < deadline:
        try:
            url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": query})
            with urllib.request.urlopen(url, timeout=5) as r:
                body = json.load(r)
            last = body
            result = body.get("data", {}).get("result", [])
            if body.get("status") == "success" and result:
                print(f"  {query} -> {json.dumps(result)}")
                return
        except Exception as e:  # not up yet
            last = repr(e)
        time.sleep(1)
    fail(f"Prometheus query {query!r} returned nothing within {seconds} s; last answer: {last}")


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "compose":
        check_compose(*args)
    elif cmd == "crd":
        check_crd(*args)
    elif cmd == "metric-names":
        check_metric_names(args[0], args[1], args[2], args[3:])
    elif cmd == "prom-wait":
        prom_wait(*args)
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
