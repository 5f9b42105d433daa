#!/usr/bin/env bash
# The testbed's plot: per run, each request's latency over time (both
# workloads), the phases shaded and named, and the decided target of each
# workload drawn along the bottom.
# usage: testbed-plot.sh TESTBED_JSON RAW_DIR OUT_PNG (testbed.sh's raw
# files; it has checked for gnuplot before its runs)
set -eu
json=$1 raw=$2 png=$3
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
n=$(jq '.runs | length' "$json")
t0s=() names=()
for i in $(seq 0 $((n - 1))); do
	name=$(jq -r ".runs[$i].name" "$json")
	r=${name//:/-}
	t0=$(head -n 1 "$raw/$r.phases" | cut -d' ' -f1)
	# t (s), latency (ms; a failure at its timeout), workload index
	jq -r --argjson t0 "$t0" --argjson to "$(jq -c '{compute: 3000, payload: 5000}' <<<'{}')" \
		'[(.at - $t0) / 1000, (if .ok then .lat else $to[.w] end), (if .w == "compute" then 0 else 1 end)] | @tsv' \
		"$raw/$r.req" >"$d/$i.req"
	# t, workload index, target index (local 0, edge1 1, edge2 2, cloud 3)
	jq -r ".runs[$i].targets[] | .t as \$t | .w | to_entries[] |
		[\$t, (if .key == \"compute\" then 0 else 1 end),
		 ({local: 0, edge1: 1, edge2: 2, cloud: 3}[.value] // 4)] | @tsv" "$json" >"$d/$i.tgt"
	names+=("$name")
done
{
	echo "set terminal pngcairo size 1400,$((220 * n + 80)) font ',9'"
	echo "set output '$png'"
	echo "set multiplot layout $n,1 title 'offloadd testbed: request latency per policy (compute: blue, payload: orange); decided target along the bottom (local green, edge1 blue, edge2 purple, cloud red)'"
	echo "set logscale y; set yrange [0.5:8000]; set ylabel 'ms'; set grid ytics"
	echo "set xrange [0:$(jq '.duration_s' "$json")]"
	echo "set palette defined (0 '#2ca02c', 1 '#1f77b4', 2 '#9467bd', 3 '#d62728', 4 '#000000'); set cbrange [0:4]; unset colorbox"
	jq -r '.phases | to_entries[] | "set object \(.key + 1) rect from \(.value.start_s), graph 0 to \(.value.end_s), graph 1 fc rgb \(if .key % 2 == 0 then "\"#f2f2f2\"" else "\"#dddddd\"" end) fs solid noborder behind\nset label \(.key + 1) \"\(.value.name)\" at \(.value.start_s + 0.3), graph 0.93 font \",7\""' "$json"
	for i in $(seq 0 $((n - 1))); do
		echo "set title '${names[$i]}' offset 0,-0.8"
		[ "$i" = $((n - 1)) ] && echo "set xlabel 'seconds into the run'"
		echo "plot '$d/$i.req' u 1:(\$3 == 0 ? \$2 : 1/0) w p pt 7 ps 0.25 lc rgb '#1f77b4' notitle, \\"
		echo "     '$d/$i.req' u 1:(\$3 == 1 ? \$2 : 1/0) w p pt 7 ps 0.25 lc rgb '#ff7f0e' notitle, \\"
		echo "     '$d/$i.tgt' u 1:(\$2 == 0 ? 0.8 : 0.6):3 w p pt 5 ps 0.35 lc palette notitle"
	done
	echo "unset multiplot"
} >"$d/plot.gp"
gnuplot "$d/plot.gp"
