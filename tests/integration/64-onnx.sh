#!/usr/bin/env bash
# offload-train import and export against the real onnx package: a network
# built as torch.onnx.export writes it (Gemm + Relu, opset 14, metadata_props)
# and checked by onnx.checker imports and scores as numpy does, in each form
# the importer reads; export then import gives the same bytes; what it cannot
# read is refused with the file, the node and the reason. The same against
# PyTorch's own export when python3-torch is installed. No root needed.
. "$(dirname "$0")/lib.sh"

export TRAIN=$BUILD/offload-train
PY=/usr/bin/python3
M="$PY $TOP/tests/tools/onnx_model.py"
TOL=1e-5
d=$(mktemp -d)
on_exit "rm -rf '$d'"

if ! $PY -c 'import onnx, numpy' 2>/dev/null; then
	fail "python3-onnx and python3-numpy are installed" "run make deps"
	exit 1
fi
$M rows 1000 5 >"$d/rows.txt"

# scores NAME MODEL.onnx: imported, its scores on the rows match numpy's.
scores() {
	local name=$1 onnx=$2 out
	if ! out=$("$TRAIN" import "$onnx" --out "$d/$name.omdl" 2>&1); then
		fail "$name: imports" "$out"
		return 1
	fi
	"$TRAIN" score --model "$d/$name.omdl" <"$d/rows.txt" >"$d/$name.scores" &&
		check "$name: scores on 1,000 rows match numpy's to $TOL" \
			$M compare "$onnx" "$d/rows.txt" "$d/$name.scores" $TOL
	diag "$name: $($M compare "$onnx" "$d/rows.txt" "$d/$name.scores" $TOL)"
}

check "a Gemm + Relu network with metadata_props passes onnx.checker" $M build "$d/gemm.onnx" gemm 3
scores gemm "$d/gemm.onnx"
check "MatMul + Add layers build" $M build "$d/matmul.onnx" matmul 4 48 16
scores matmul "$d/matmul.onnx"
check "Gemm layers with transB = 0 build" $M build "$d/gemm0.onnx" gemm0 6 16 8
scores gemm0 "$d/gemm0.onnx"
check "Sub/Div normalisation nodes build" $M build "$d/subdiv.onnx" subdiv 5
scores subdiv "$d/subdiv.onnx"

# Round trips: the imported model, and the shipped one, out and back.
"$TRAIN" export "$d/gemm.omdl" --out "$d/gemm2.onnx" 2>/dev/null &&
	"$TRAIN" import "$d/gemm2.onnx" --out "$d/gemm2.omdl" 2>/dev/null
check "export then re-import is byte-identical" cmp "$d/gemm.omdl" "$d/gemm2.omdl"
check "the exported model passes onnx.checker" $M check "$d/gemm2.onnx"
check "the exported model computes what the .omdl does (numpy)" \
	$M compare "$d/gemm2.onnx" "$d/rows.txt" "$d/gemm.scores" $TOL
"$TRAIN" export "$d/subdiv.omdl" --out "$d/subdiv2.onnx" 2>/dev/null &&
	"$TRAIN" import "$d/subdiv2.onnx" --out "$d/subdiv2.omdl" 2>/dev/null
check "Sub/Div normalisation survives export as metadata_props" cmp "$d/subdiv.omdl" "$d/subdiv2.omdl"
"$TRAIN" export "$TOP/models/default.omdl" --out "$d/default.onnx" 2>/dev/null &&
	"$TRAIN" import "$d/default.onnx" --out "$d/default.omdl" 2>/dev/null
check "the default model exports and imports byte-identical" cmp "$TOP/models/default.omdl" "$d/default.omdl"

# refused NAME FILE PATTERN: import fails, says PATTERN after the file's
# name, and writes nothing.
refused() {
	local name=$1 file=$2 pat=$3 out rc
	out=$("$TRAIN" import "$file" --out "$d/refused.omdl" 2>&1); rc=$?
	if [ $rc = 1 ] && [ ! -e "$d/refused.omdl" ] && grep -qF "$file: $pat" <<<"$out"; then
		ok "$name"
		diag "$out"
	else
		fail "$name" "exit $rc: $out"
	fi
}

$M build "$d/sigmoid.onnx" unsupported 3
refused "an unsupported op is refused, naming the node and its op" "$d/sigmoid.onnx" \
	'node 1 "/1/Sigmoid" (op Sigmoid) is not supported'
$M build "$d/narrow.onnx" narrow 3
refused "an input of one feature too few is refused" "$d/narrow.onnx" \
	'graph input "features" has 25 columns, the feature table has 26'
$M build "$d/hidden.onnx" hidden 3
refused "layers whose shapes do not chain are refused" "$d/hidden.onnx" \
	'node 2 "/2/Gemm" (op Gemm): weight "2.weight" [32, 60] (transB = 1) takes 60 inputs; layer 2 gets 64'
head -c $(($(stat -c %s "$d/gemm.onnx") / 2)) "$d/gemm.onnx" >"$d/truncated.onnx"
refused "a truncated file is refused" "$d/truncated.onnx" "not an ONNX model: the protobuf does not parse"
$M build "$d/badname.onnx" badname 3
refused "feature names are checked against the feature table" "$d/badname.onnx" \
	'metadata_props offloadd.features: feature 3 is "wl_gpu_cores", this build'"'"'s table has "wl_req_rate_log"'
refused "an .omdl given as ONNX is refused" "$TOP/models/default.omdl" "not an ONNX model"

# PyTorch (bench-only): its own export, normalising with buffers (Sub/Div).
if ! $PY -c 'import torch' 2>/dev/null; then
	skip "PyTorch's torch.onnx.export imports and scores as PyTorch does" "python3-torch is not installed"
	exit 0
fi
if $M torch "$d/torch.onnx" "$d/rows.txt" "$d/torch.expected" 11 2>"$d/torch.err" &&
	"$TRAIN" import "$d/torch.onnx" --out "$d/torch.omdl" 2>>"$d/torch.err" &&
	"$TRAIN" score --model "$d/torch.omdl" <"$d/rows.txt" >"$d/torch.scores" 2>>"$d/torch.err"; then
	check "PyTorch's torch.onnx.export imports; scores match PyTorch's to $TOL" \
		$M compare-file "$d/torch.expected" "$d/torch.scores" $TOL
	diag "torch: $($M compare-file "$d/torch.expected" "$d/torch.scores" $TOL)"
else
	fail "PyTorch's torch.onnx.export imports; scores match PyTorch's to $TOL" "$(tail -n 3 "$d/torch.err")"
fi
if $M torch-roundtrip "$d/gemm2.onnx" "$d/torch-rt.onnx" 2>"$d/torch.err" &&
	"$TRAIN" import "$d/torch-rt.onnx" --out "$d/torch-rt.omdl" 2>>"$d/torch.err"; then
	check "exported, through PyTorch and torch.onnx.export, imported: byte-identical" \
		cmp "$d/gemm.omdl" "$d/torch-rt.omdl"
else
	fail "exported, through PyTorch and torch.onnx.export, imported: byte-identical" "$(tail -n 3 "$d/torch.err")"
fi
