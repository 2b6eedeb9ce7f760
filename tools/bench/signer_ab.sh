#!/usr/bin/env bash
# [keys] signer = inprocess against process (docs/performance.md, "The
# signer process"): one eidd per setup, started side by side from the
# same build with --demo and a fresh data directory each, and the
# client_credentials row of tools/bench/lua loaded with wrk against each
# in turn, so every setup is measured in the same minutes of a shared
# machine.  Prints one line per run, then the medians per setup and
# connection count and each setup's rate over the first setup's.
#
#   tools/bench/signer_ab.sh [--build DIR] [--repeat N] [--duration S]
#                            [--conns "4 64 256"] [SETUP...]
#
# SETUP is SIGNER:THREADS[:BUILD] ([keys] signer, [server] threads, and
# another build directory's eidd, to compare with another commit); the
# default is inprocess:2 process:2.  Needs a build (default
# build-release/, which tools/dev.sh bench makes), wrk, node, curl,
# openssl, GNU time.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir="$root/build-release"
repeat=3
duration=10
conns_list="4 64 256"
setups=()

usage() {
	sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--build) [ $# -ge 2 ] || usage; build_dir=$2; shift ;;
	--repeat) [ $# -ge 2 ] || usage; repeat=$2; shift ;;
	--duration) [ $# -ge 2 ] || usage; duration=$2; shift ;;
	--conns) [ $# -ge 2 ] || usage; conns_list=$2; shift ;;
	-*) usage ;;
	*:*) setups+=("$1") ;;
	*) usage ;;
	esac
	shift
done
[ ${#setups[@]} -gt 0 ] || setups=(inprocess:2 process:2)
for tool in wrk node curl openssl /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "signer_ab.sh: $tool is missing" >&2; exit 1; }
done
eidctl_bin="$build_dir/tools/eidctl"
[ -x "$eidctl_bin" ] || { echo "signer_ab.sh: no eidctl in $build_dir" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

free_port() {
	node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

export EID_KEK
EID_KEK=$(openssl rand -hex 32)
client_id=bench
client_secret=$(openssl rand -hex 24)
bases=()
names=()
for i in "${!setups[@]}"; do
	IFS=: read -r signer threads bin <<<"${setups[$i]}"
	names+=("$signer:$threads${bin:+@$(basename "$(dirname "$bin")")}")
	bin=${bin:-$build_dir}/tools/eidd
	[ -x "$bin" ] || { echo "signer_ab.sh: no $bin" >&2; exit 1; }
	cat >"$work/eidd-$i.ini" <<EOF
[server]
threads = $threads
max_connections_per_ip = 0
[keys]
signer = $signer
[limits]
token = 0
login = 0
[log]
access_log = false
EOF
	port=$(free_port)
	"$bin" --config "$work/eidd-$i.ini" --data "$work/data-$i" --demo \
		--listen "127.0.0.1:$port" >"$work/eidd-$i.log" 2>&1 &
	pids+=("$!")
	bases+=("http://127.0.0.1:$port")
	for _ in $(seq 1 100); do
		curl -fsS -o /dev/null "${bases[$i]}/healthz" 2>/dev/null && break
		sleep 0.1
	done
	curl -fsS -o /dev/null "${bases[$i]}/healthz" ||
		{ cat "$work/eidd-$i.log" >&2; exit 1; }
	printf '%s\n' "$client_secret" | "$eidctl_bin" --data "$work/data-$i" client add \
		--id "$client_id" --name "Benchmark" --auth-method client_secret_basic \
		--grant client_credentials --secret-stdin >"$work/client-$i.out" 2>&1 ||
		{ cat "$work/client-$i.out" >&2; exit 1; }
done

# cpu_ticks PID: user + system clock ticks of the process and of its
# children (the signer), every thread included.
cpu_ticks() {
	local p t=0
	for p in "$1" $(cat "/proc/$1/task/"*/children 2>/dev/null); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}

# run SETUP-INDEX CONNS SECONDS: one wrk run; prints req/s, p50 and p99
# in microseconds, the errors (non-2xx and socket errors), from the line
# tools/bench/lua/bench.lua writes, and the CPU time per request of the
# server (with its signer) and of wrk, in microseconds: on a shared
# machine the rate is mostly the wait for a core, the CPU time is not.
run() {
	local before after
	before=$(cpu_ticks "${pids[$1]}")
	BENCH_LUA="$here/lua" BENCH_THREADS=2 BENCH_PATH=/token \
		BENCH_AUTH="Basic $(printf '%s:%s' "$client_id" "$client_secret" | base64 -w0)" \
		/usr/bin/time -f 'WRKCPU %U %S' \
		wrk -t 2 -c "$2" -d "${3}s" --timeout 5s \
		-s "$here/lua/client_credentials.lua" "${bases[$1]}" >"$work/wrk.out" 2>&1 || true
	after=$(cpu_ticks "${pids[$1]}")
	node -e 'const s = require("fs").readFileSync(process.argv[1], "utf8");
const [ticks, hz] = [Number(process.argv[2]), Number(process.argv[3])];
const m = s.match(/^BENCHJSON (.*)$/m);
const w = s.match(/^WRKCPU (\S+) (\S+)$/m);
if (!m || !w) { console.log("0 0 0 1 0 0"); process.exit(0); }
const j = JSON.parse(m[1]);
const err = j.status_errors + j.non2xx + j.connect_errors + j.read_errors +
  j.write_errors + j.timeouts;
const per = (sec) => (j.requests ? (1e6 * sec) / j.requests : 0).toFixed(1);
console.log(Math.round(j.requests / (j.duration_us / 1e6)), j.p50_us, j.p99_us, err,
  per(ticks / hz), per(Number(w[1]) + Number(w[2])));' \
		"$work/wrk.out" "$((after - before))" "$(getconf CLK_TCK)"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in "${!setups[@]}"; do run "$i" 16 1 >/dev/null; done # warm-up
printf '%-22s %6s %4s %9s %8s %8s %6s %8s %8s\n' setup conns run 'req/s' 'p50 us' \
	'p99 us' errors 'srv us' 'wrk us'
for rep in $(seq 1 "$repeat"); do
	for conns in $conns_list; do
		for i in "${!setups[@]}"; do
			line=$(run "$i" "$conns" "$duration")
			printf '%-22s %6s %4s %9s %8s %8s %6s %8s %8s\n' "${names[$i]}" "$conns" "$rep" $line
			echo "$i $conns $line" >>"$work/runs"
		done
	done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Medians over the repetitions, each setup's median rate over the first
# setup's at the same connection count, and the rate the CPU times
# predict for a machine of our own (every core busy with the server and
# wrk): the first setup's server + wrk CPU per request over this one's.
med() {
	awk -v i="$1" -v c="$2" -v f="$3" '$1 == i && $2 == c { print $f }' "$work/runs" |
		sort -n | awk '{ v[NR] = $1 } END {
			print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo
printf '%-22s %6s %9s %8s %8s %8s %8s %8s %8s\n' setup conns 'req/s' 'p50 us' \
	'p99 us' 'vs first' 'srv us' 'wrk us' 'cpu vs'
for conns in $conns_list; do
	for i in "${!setups[@]}"; do
		rate=$(med "$i" "$conns" 3)
		srv=$(med "$i" "$conns" 7)
		wrk=$(med "$i" "$conns" 8)
		[ "$i" -ne 0 ] || { first=$rate; first_cpu=$(awk -v a="$srv" -v b="$wrk" 'BEGIN { print a + b }'); }
		printf '%-22s %6s %9.0f %8.0f %8.0f %7.0f%% %8.1f %8.1f %7.0f%%\n' "${names[$i]}" \
			"$conns" "$rate" "$(med "$i" "$conns" 4)" "$(med "$i" "$conns" 5)" \
			"$(awk -v a="$rate" -v b="$first" 'BEGIN { print 100 * a / b }')" "$srv" "$wrk" \
			"$(awk -v a="$first_cpu" -v b="$srv" -v c="$wrk" 'BEGIN { print 100 * a / (b + c) }')"
	done
done
if awk '$6 > 0 { bad = 1 } END { exit !bad }' "$work/runs"; then
	echo "signer_ab.sh: some runs had errors" >&2
	exit 1
fi
