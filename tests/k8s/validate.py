#!/usr/bin/python3
# Validates dist/kubernetes/ offline: each manifest against a JSON Schema of
# its kind, strict (unknown fields refused), then what the API server checks
# beyond the schema. Prints TAP.
#
# The schemas are built from Debian's python3-kubernetes, whose models are
# generated from the Kubernetes API's OpenAPI document (v1.22): field
# types from openapi_types, required fields from the setters that refuse
# None, enums from the setters' allowed_values.
import ast
import copy
import inspect
import os
import re
import shutil
import subprocess
import sys
import tempfile

import jsonschema
import kubernetes.client as k8s
import yaml

KINDS = {
    ("apps/v1", "DaemonSet"): "V1DaemonSet",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Service"): "V1Service",
}
SCALARS = {"str": {"type": "string"}, "int": {"type": "integer"},
           "float": {"type": "number"}, "bool": {"type": "boolean"},
           "datetime": {"type": "string"}, "date": {"type": "string"},
           "object": {}}


def setter_facts(cls, attr):
    """(required, allowed values or None) from the generated setter."""
    prop = getattr(cls, attr, None)
    if not isinstance(prop, property) or prop.fset is None:
        return False, None
    src = inspect.getsource(prop.fset)
    required = "must not be `None`" in src
    m = re.search(r"allowed_values = (\[.*?\])", src, re.S)
    return required, ast.literal_eval(m.group(1)) if m else None


def type_schema(t, defs):
    if t in SCALARS:
        return dict(SCALARS[t])
    m = re.fullmatch(r"list\[(.+)\]", t)
    if m:
        return {"type": "array", "items": type_schema(m.group(1), defs)}
    m = re.fullmatch(r"dict\(str, (.+)\)", t)
    if m:
        return {"type": "object", "additionalProperties": type_schema(m.group(1), defs)}
    model_schema(t, defs)
    return {"$ref": "#/definitions/" + t}


def model_schema(name, defs):
    if name in defs:
        return
    cls = getattr(k8s, name)
    defs[name] = {}  # recursion guard (JSONSchemaProps refers to itself)
    props, required = {}, []
    for attr, t in cls.openapi_types.items():
        key = cls.attribute_map[attr]
        s = type_schema(t, defs)
        req, allowed = setter_facts(cls, attr)
        if allowed is not None:
            s["enum"] = allowed
        props[key] = s
        if req:
            required.append(key)
    defs[name] = {"type": "object", "properties": props,
                  "required": required, "additionalProperties": False}


def kind_schema(api_version, kind):
    defs = {}
    root = KINDS[(api_version, kind)]
    model_schema(root, defs)
    schema = {"$ref": "#/definitions/" + root, "definitions": defs}
    top = copy.deepcopy(defs[root])
    top["properties"]["apiVersion"] = {"const": api_version}
    top["properties"]["kind"] = {"const": kind}
    top["required"] = sorted(set(top["required"]) | {"apiVersion", "kind", "metadata"})
    defs[root + "Top"] = top
    schema["$ref"] = "#/definitions/" + root + "Top"
    return schema


def schema_errors(doc):
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key not in KINDS:
        return ["%s/%s: no schema for this kind" % key]
    v = jsonschema.Draft7Validator(kind_schema(*key))
    return ["%s: %s" % ("/".join(map(str, e.absolute_path)) or "(top)", e.message)
            for e in sorted(v.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]


def containers(pod):
    return pod.get("initContainers", []) + pod.get("containers", [])


def api_errors(doc):
    """What the API server refuses although the schema allows it."""
    errs = []
    if doc["kind"] == "DaemonSet":
        spec = doc["spec"]
        sel = spec["selector"].get("matchLabels", {})
        labels = spec["template"]["metadata"].get("labels", {})
        if not sel or any(labels.get(k) != v for k, v in sel.items()):
            errs.append("spec.selector: does not match the template's labels")
        pod = spec["template"]["spec"]
        for c in containers(pod):
            priv = c.get("securityContext", {}).get("privileged", False)
            for m in c.get("volumeMounts", []):
                if m.get("mountPropagation") == "Bidirectional" and not priv:
                    errs.append("%s: Bidirectional mount propagation is available only "
                                "to privileged containers" % c["name"])
        names = {v["name"] for v in pod.get("volumes", [])}
        for c in containers(pod):
            for m in c.get("volumeMounts", []):
                if m["name"] not in names:
                    errs.append("%s: volume %s not found" % (c["name"], m["name"]))
    if doc["kind"] == "Service" and doc["spec"].get("clusterIP") != "None":
        errs.append("spec.clusterIP: not None: the Service is not headless")
    return errs


def load(d):
    kust = yaml.safe_load(open(os.path.join(d, "kustomization.yaml")))
    docs = []
    for r in kust["resources"]:
        docs += [x for x in yaml.safe_load_all(open(os.path.join(d, r))) if x]
    return kust, docs


class Tap:
    def __init__(self):
        self.failed = 0

    def skip(self, name, why):
        print("ok - %s # SKIP %s" % (name, why))

    def check(self, name, errs):
        if errs:
            self.failed += 1
            print("not ok - %s: %s" % (name, "; ".join(errs[:3])))
        else:
            print("ok - %s" % name)


def refused(doc, mutate, want):
    """The mutated copy must be refused with a message containing want."""
    bad = copy.deepcopy(doc)
    mutate(bad)
    errs = schema_errors(bad) or api_errors(bad)
    if not any(want in e for e in errs):
        return ["not refused with \"%s\": %s" % (want, errs or "accepted")]
    return []


def ds_pod(d):
    return d["spec"]["template"]["spec"]


def agent(d):
    return ds_pod(d)["containers"][0]


MUTATIONS = [
    ("a wrong type is refused (hostNetwork: \"true\")",
     lambda d: ds_pod(d).__setitem__("hostNetwork", "true"), "is not of type 'boolean'"),
    ("a missing selector is refused",
     lambda d: d["spec"].pop("selector"), "'selector' is a required property"),
    ("a wrong type deep in the pod is refused (containerPort: \"7400\")",
     lambda d: agent(d)["ports"][0].__setitem__("containerPort", "7400"), "is not of type 'integer'"),
    ("an unknown field is refused (toleration)",
     lambda d: ds_pod(d).__setitem__("toleration", []), "Additional properties are not allowed"),
    ("a selector that misses the template's labels is refused",
     lambda d: d["spec"]["selector"]["matchLabels"].__setitem__("app.kubernetes.io/name", "other"),
     "does not match the template's labels"),
    ("Bidirectional on an unprivileged container is refused",
     lambda d: agent(d)["volumeMounts"][1].__setitem__("mountPropagation", "Bidirectional"),
     "available only to privileged containers"),
]


def pod_policy(ds):
    pod = ds_pod(ds)
    sc = agent(ds)["securityContext"]
    errs = []
    if not (pod.get("hostNetwork") and pod.get("hostPID")):
        errs.append("hostNetwork and hostPID")
    if sc["capabilities"] != {"drop": ["ALL"], "add": ["BPF", "PERFMON", "NET_ADMIN", "SYS_RESOURCE"]}:
        errs.append("capabilities: %s" % sc["capabilities"])
    if sc.get("privileged"):
        errs.append("the agent is privileged")
    if pod.get("priorityClassName") != "system-node-critical":
        errs.append("priorityClassName")
    if not any(t.get("key") == "node-role.kubernetes.io/edge" for t in pod.get("tolerations", [])):
        errs.append("no toleration for edge nodes")
    for p in ("readinessProbe", "livenessProbe"):
        if agent(ds).get(p, {}).get("httpGet", {}).get("path") != "/status":
            errs.append("%s not on /status" % p)
    paths = {v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    if paths != {"/sys/fs/bpf", "/sys/fs/cgroup", "/run/offloadd"}:
        errs.append("hostPath volumes: %s" % sorted(paths))
    return errs


def config_check(offloadd, cm, pin_dir):
    """The ConfigMap's offloadd.conf through `offloadd check`, pinned apart."""
    text = re.sub(r"(?m)^\[agent\]$", "[agent]\npin_dir = %s" % pin_dir, cm["data"]["offloadd.conf"])
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
        f.write(text)
        f.flush()
        os.chmod(f.name, 0o644)
        # Its own network namespace: binding 0.0.0.0:7400 there is free.
        r = subprocess.run(["unshare", "--net", offloadd, "check", "--config", f.name],
                           capture_output=True, text=True, timeout=60)
    if r.returncode:
        return [(r.stderr or r.stdout).strip().replace("\n", " | ")]
    return []


def kustomized(exe, d, want_image):
    """kubectl's kustomize builds it; what it builds validates too."""
    r = subprocess.run([exe, "kustomize", d], capture_output=True, text=True, timeout=60)
    if r.returncode:
        return [r.stderr.strip()]
    docs = [x for x in yaml.safe_load_all(r.stdout) if x]
    errs = []
    for x in docs:
        errs += schema_errors(x) or api_errors(x)
        if x["metadata"].get("namespace") != "kube-system":
            errs.append("%s: not in kube-system" % x["metadata"]["name"])
        if x["kind"] == "DaemonSet":
            errs += ["image %s, not %s" % (c["image"], want_image)
                     for c in containers(ds_pod(x)) if c["image"] != want_image]
    return errs if len(docs) == 3 else errs + ["%d objects built" % len(docs)]


def main():
    d, offloadd, pin_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    kust, docs = load(d)
    t = Tap()
    by_kind = {x["kind"]: x for x in docs}
    t.check("kustomization lists a DaemonSet, a ConfigMap and a Service",
            [] if sorted(by_kind) == ["ConfigMap", "DaemonSet", "Service"] else [str(sorted(by_kind))])
    for x in docs:
        t.check("%s %s matches the Kubernetes schema" % (x["kind"], x["metadata"]["name"]),
                schema_errors(x) or api_errors(x))
    for name, mutate, want in MUTATIONS:
        t.check(name, refused(by_kind["DaemonSet"], mutate, want))
    t.check("the headless Service selects the DaemonSet's pods",
            [] if by_kind["Service"]["spec"]["selector"] ==
            by_kind["DaemonSet"]["spec"]["selector"]["matchLabels"] else ["selectors differ"])
    t.check("the pod has the node access it needs and no more", pod_policy(by_kind["DaemonSet"]))
    name = "kubectl kustomize builds it and what it builds validates"
    exe = shutil.which("kubectl")
    if exe:
        tag = [i["newTag"] for i in kust["images"] if i["name"] == "offloadd"][0]
        t.check(name, kustomized(exe, d, "offloadd:" + tag))
    else:
        t.skip(name, "no kubectl (Debian: kubernetes-client)")
    t.check("the ConfigMap's offloadd.conf passes offloadd check",
            config_check(offloadd, by_kind["ConfigMap"], pin_dir))
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
