#!/usr/bin/env bash
# Instructions per request, per row, with valgrind's callgrind: the
# deterministic companion of the wrk table (rates on a shared machine
# swing; instruction counts do not).  Starts the release eidd under
# callgrind on a free loopback port with fresh demo data, warms the row
# up for 1 s, zeroes the counters, loads it with `wrk -t1 -c4` for
# SECONDS, dumps, and prints instructions per request and the top
# functions (inclusive).
#
#   tools/bench/profile.sh [--build DIR] [--seconds S] [--top N] [--self]
#                          [--signer process|inprocess] ROW...
#
# --self lists functions by their own instructions instead of inclusive.
# --signer inprocess counts the signatures too: with the default process
# signer they are made in the child, which callgrind does not follow.
#
# ROW: healthz discovery jwks client_credentials introspect userinfo
# Needs build-release/ (tools/dev.sh bench builds it), valgrind, wrk, node.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir="$root/build-release"
seconds=4
top=25
inclusive=yes
signer=process
rows=()

while [ $# -gt 0 ]; do
	case "$1" in
	--build) build_dir=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--top) top=$2; shift ;;
	--self) inclusive=no ;;
	--signer) signer=$2; shift ;;
	-*) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	*) rows+=("$1") ;;
	esac
	shift
done
[ ${#rows[@]} -gt 0 ] || rows=(healthz client_credentials introspect userinfo)
for tool in valgrind callgrind_control callgrind_annotate wrk node curl; do
	command -v "$tool" >/dev/null || { echo "profile.sh: $tool is missing" >&2; exit 1; }
done
eidd_bin="$build_dir/tools/eidd"
eidctl_bin="$build_dir/tools/eidctl"
[ -x "$eidd_bin" ] && [ -x "$eidctl_bin" ] ||
	{ echo "profile.sh: no release build in $build_dir (tools/dev.sh bench makes it)" >&2; exit 1; }

work=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export EID_KEK
EID_KEK=$(openssl rand -hex 32)
cat >"$work/eidd.ini" <<EOF
[server]
threads = 2
max_connections_per_ip = 0
; valgrind cannot run under the system-call filter
seccomp = off
[limits]
token = 0
login = 0
[log]
access_log = false
[keys]
signer = $signer
EOF
valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
	"$eidd_bin" --config "$work/eidd.ini" --data "$work/data" --demo \
	--listen "127.0.0.1:$port" >"$work/eidd.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
	curl -fs "$base/healthz" >/dev/null 2>&1 && break
	sleep 0.2
done
curl -fs "$base/healthz" >/dev/null || { cat "$work/eidd.log" >&2; exit 1; }

client_id=bench
client_secret=$(openssl rand -hex 24)
printf '%s\n' "$client_secret" | "$eidctl_bin" --data "$work/data" client add \
	--id "$client_id" --name Profile --auth-method client_secret_basic \
	--grant client_credentials --grant authorization_code --grant refresh_token \
	--redirect-uri http://127.0.0.1/bench/callback \
	--scope "openid profile offline_access" --secret-stdin >/dev/null
basic="Basic $(printf '%s:%s' "$client_id" "$client_secret" | base64 -w0)"
password=$(sed -n 's/^#define EID_DEMO_PASSWORD "\(.*\)"$/\1/p' "$root/tools/demo.h")

cc_token() {
	curl -fsS -u "$client_id:$client_secret" -d grant_type=client_credentials \
		"$base/token" | node -e 'let s="";process.stdin.on("data",d=>s+=d);
process.stdin.on("end",()=>console.log(JSON.parse(s).access_token))' >"$1"
}

printf '%-20s %12s %10s %14s\n' row requests "Ir (M)" "Ir/request"
for row in "${rows[@]}"; do
	script=get.lua path="" auth="" file=""
	case "$row" in
	healthz) path=/healthz ;;
	discovery) path=/.well-known/openid-configuration ;;
	jwks) path=/jwks ;;
	client_credentials) path=/token script=client_credentials.lua auth=$basic ;;
	introspect) path=/introspect script=introspect.lua auth=$basic
		file="$work/introspect.txt"; cc_token "$file" ;;
	userinfo) path=/userinfo script=userinfo.lua file="$work/userinfo.txt"
		BENCH_BASE=$base BENCH_CLIENT_ID=$client_id BENCH_CLIENT_SECRET=$client_secret \
			BENCH_REDIRECT_URI=http://127.0.0.1/bench/callback \
			BENCH_USERNAME=001090012345 BENCH_PASSWORD=$password \
			node "$here/prepare.mjs" access "$file" | grep -qx ok ;;
	*) echo "profile.sh: unknown row $row" >&2; exit 2 ;;
	esac
	run() {
		BENCH_LUA="$here/lua" BENCH_PATH=$path BENCH_AUTH=$auth BENCH_FILE=$file \
			BENCH_THREADS=1 wrk -t1 -c4 -d"$1"s --timeout 10s \
			-s "$here/lua/$script" "$base" 2>&1
	}
	run 1 >/dev/null
	callgrind_control -z "$pid" >/dev/null
	out=$(run "$seconds")
	callgrind_control -d "$row" "$pid" >/dev/null
	n=$(printf '%s\n' "$out" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
	dump=$(ls -t "$work"/cg.out.* | head -n 1)
	ir=$(callgrind_annotate "$dump" 2>/dev/null | sed -n 's/^\([0-9,]*\) (100.0%).*PROGRAM TOTALS.*/\1/p' | tr -d ,)
	printf '%-20s %12s %10.1f %14.0f\n' "$row" "$n" "$(echo "$ir / 1000000" | bc -l)" \
		"$(echo "$ir / $n" | bc -l)"
	callgrind_annotate --threshold=100 --inclusive=$inclusive "$dump" 2>/dev/null |
		grep -E '^ *[0-9,]+ +\(' | grep -v 'PROGRAM TOTALS' |
		sed -n "1,${top}p" >"$work/top-$row.txt"
	sed 's/^/    /' "$work/top-$row.txt"
	[ -n "${PROFILE_KEEP:-}" ] && cp "$dump" "$PROFILE_KEEP/$row.cg"
	mv "$dump" "$work/done-$row.cg"
done
