#!/usr/bin/env bash
# dist/kubernetes/ validated offline: every manifest against the Kubernetes
# schema of its kind, built from Debian's python3-kubernetes models (the
# API's OpenAPI types), strict; mutated copies (a wrong type, a missing
# selector, an unknown field, Bidirectional unprivileged) must be refused;
# the pod's access is what the docs say; the ConfigMap's offloadd.conf
# passes `offloadd check` (root: it loads the programs); with kubectl,
# what `kubectl kustomize` builds validates too.
. "$(dirname "$0")/lib.sh"

need_root "the Kubernetes manifests validate"
# Debian's interpreter, where python3-jsonschema, -yaml and -kubernetes are.
/usr/bin/python3 "$TOP/tests/k8s/validate.py" "$TOP/dist/kubernetes" "$OFFLOADD" "$PIN"
