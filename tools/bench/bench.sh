#!/usr/bin/env bash
# The benchmark harness behind `tools/dev.sh bench` (which installs what it
# needs and builds build-release/ first).  Starts eidd, and beside it
# node-oidc-provider (tools/bench/peer), on free loopback ports with fresh
# data, loads every row that can run with wrk, and prints one table.  Rows
# whose endpoint the server's discovery document does not list yet are
# printed as "not available yet", with the reason.
#
#   tools/bench/bench.sh [--quick] [--full] [--no-peer] [--no-scale]
#                        [--no-chip] [--repeat N] [--duration S]
#                        [--build DIR] [--keep DIR]
#
#   --quick     2 s runs, 64 connections, once; scale at 10 thousand only
#   --full      scale also at 10 million citizens (minutes, GBs of disk)
#   --no-peer   skip node-oidc-provider
#   --no-scale  skip the generator and import measurements
#   --no-chip   skip the chip card reads through pcscd (POST /chip/verify
#               still runs: it needs no reader)
#   --keep DIR  leave the raw outputs in DIR, a new or empty directory
#               (default: a temporary directory, removed at exit)
#
# Exits 1 when a run had errors (non-2xx or socket errors must be 0).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

duration=10
conns_list="64 256"
repeat=3
wrk_threads=2
build_dir="$root/build-release"
with_peer=1
scale_sizes="10000 1000000"
keep=""
quick=0
full=0
with_chip=1

usage() {
	sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--full) full=1 ;;
	--no-peer) with_peer=0 ;;
	--no-scale) scale_sizes="" ;;
	--no-chip) with_chip=0 ;;
	--repeat) [ $# -ge 2 ] || usage; repeat=$2; shift ;;
	--duration) [ $# -ge 2 ] || usage; duration=$2; shift ;;
	--build) [ $# -ge 2 ] || usage; build_dir=$2; shift ;;
	--keep) [ $# -ge 2 ] || usage; keep=$2; shift ;;
	*) usage ;;
	esac
	shift
done
if [ "$quick" -eq 1 ]; then
	duration=2
	conns_list="64"
	repeat=1
	[ -n "$scale_sizes" ] && scale_sizes="10000"
fi
if [ "$full" -eq 1 ] && [ -n "$scale_sizes" ]; then
	scale_sizes="$scale_sizes 10000000"
fi

log() { printf 'bench: %s\n' "$*" >&2; }

eidd_bin="$build_dir/tools/eidd"
eidctl_bin="$build_dir/tools/eidctl"
gen_bin="$build_dir/tools/bench/gen_citizens"
aa_answer_bin="$build_dir/tools/bench/aa_answer"
for b in "$eidd_bin" "$eidctl_bin"; do
	[ -x "$b" ] || { log "$b is missing: build first (tools/dev.sh bench)"; exit 1; }
done

if [ -n "$keep" ]; then
	# A fresh run only: a previous run's data directory holds keys
	# sealed with another key-encryption key, and nothing a user names is
	# ever removed here.
	if [ -e "$keep" ] && [ -n "$(ls -A "$keep" 2>/dev/null || echo x)" ]; then
		log "--keep $keep: not an empty directory (give a new or empty one; a previous run's data cannot be reused)"
		exit 2
	fi
	mkdir -p "$keep"
	work=$(cd "$keep" && pwd)
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/eid-bench.XXXXXX")
fi
mkdir -p "$work/runs" "$work/mem"
: >"$work/unavailable.tsv"
: >"$work/scale.tsv"

# Everything started here is stopped at exit, by its own pid.
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [ -z "$keep" ]; then
		rm -rf "$work"
	fi
}
trap cleanup EXIT

free_port() {
	node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# wait_http URL PID: until URL answers 2xx, or the process has exited.
wait_http() {
	local url=$1 pid=$2 i
	for i in $(seq 1 200); do
		kill -0 "$pid" 2>/dev/null || return 1
		curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# start_server NAME URL COMMAND...: start it in the background (output in
# $work/NAME.log) and wait until URL answers; server_pid is its pid.
start_server() {
	local name=$1 url=$2
	shift 2
	"$@" >"$work/$name.log" 2>&1 &
	server_pid=$!
	pids+=("$server_pid")
	if ! wait_http "$url" "$server_pid"; then
		log "$name did not start:"
		cat "$work/$name.log" >&2
		exit 1
	fi
}

# The process and its direct children (node's cluster workers).
proc_tree() {
	local pid=$1
	printf '%s\n' "$pid"
	cat "/proc/$pid/task/"*/children 2>/dev/null | tr ' ' '\n' | sed '/^$/d' || true
}

# One line of memory figures, summed over the tree: ms rss anon file hwm
# lmdb pss main, where lmdb is the resident part of the LMDB maps (data.mdb
# files, from smaps): pages of the database file, which the kernel may
# drop; pss is the proportional set size (a page shared by n processes
# counts 1/n in each, so pages eidd shares with its forked signer child, or
# node with its cluster workers, count once in the sum, as they take memory
# once); main is the first process's own RSS.
mem_line() {
	local files=() maps=() rollups=() p
	for p in $(proc_tree "$1"); do
		[ -r "/proc/$p/status" ] && files+=("/proc/$p/status")
		[ -r "/proc/$p/smaps" ] && maps+=("/proc/$p/smaps")
		[ -r "/proc/$p/smaps_rollup" ] && rollups+=("/proc/$p/smaps_rollup")
	done
	[ "${#files[@]}" -gt 0 ] || return 0
	awk -v ms="$(date +%s%3N)" -v main="/proc/$1/status" '
		FILENAME ~ /status$/ && /^VmRSS:/ { r += $2; if (FILENAME == main) mr = $2 }
		FILENAME ~ /status$/ && /^RssAnon:/ { a += $2 }
		FILENAME ~ /status$/ && /^RssFile:/ { f += $2 }
		FILENAME ~ /status$/ && /^VmHWM:/ { h += $2 }
		FILENAME ~ /smaps$/ && /^[0-9a-f]+-[0-9a-f]+ / { m = ($NF ~ /\.mdb$/) }
		FILENAME ~ /smaps$/ && m && /^Rss:/ { l += $2 }
		FILENAME ~ /smaps_rollup$/ && /^Pss:/ { s += $2 }
		END { printf "%s %d %d %d %d %d %d %d\n", ms, r, a, f, h, l, s, mr }' \
		"${files[@]}" "${maps[@]}" "${rollups[@]}" 2>/dev/null || true
}

# sample_mem PID NAME: idle figures now, then a sample every 200 ms.
sample_mem() {
	local pid=$1 name=$2
	mem_line "$pid" >"$work/mem/$name.idle"
	(
		while kill -0 "$pid" 2>/dev/null; do
			mem_line "$pid" >>"$work/mem/$name.tsv"
			sleep 0.2
		done
	) &
	pids+=("$!")
}

# ---- the machine and the crypto limit ----

{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "nproc=$(nproc)"
	echo "cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "kernel=$(uname -r)"
	echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "duration=$duration"
	echo "repeat=$repeat"
	echo "wrk_threads=$wrk_threads"
	echo "node_version=$(node --version 2>/dev/null || echo none)"
} >"$work/meta.env"

# ES256 (tokens; the test PKI's CSCA, DSC and SOD signatures) and RSA-2048
# (the test card's Active Authentication key).
log "openssl speed ecdsap256 rsa2048 (the crypto limit, per core)"
openssl speed -seconds "$([ "$quick" -eq 1 ] && echo 1 || echo 3)" ecdsap256 rsa2048 \
	>"$work/openssl.txt" 2>/dev/null || log "openssl speed failed"

# ---- eidd ----

kek=$(openssl rand -hex 32)
export EID_KEK="$kek"
eidd_threads=2
cat >"$work/eidd.ini" <<EOF
[server]
threads = $eidd_threads
; every wrk connection comes from loopback: no per-address caps here
max_connections_per_ip = 0
[limits]
token = 0
login = 0
chip = 0
[log]
access_log = false
EOF
eidd_port=$(free_port)
eidd_base="http://127.0.0.1:$eidd_port"
start_server eidd "$eidd_base/healthz" "$eidd_bin" --config "$work/eidd.ini" \
	--data "$work/eidd-data" --demo --listen "127.0.0.1:$eidd_port"
eidd_pid=$server_pid
sample_mem "$eidd_pid" eidd
{
	echo "eidd_threads=$eidd_threads"
	echo "eidd_cores=$(($(nproc) < eidd_threads ? $(nproc) : eidd_threads))"
} >>"$work/meta.env"
curl -fsS "$eidd_base/.well-known/openid-configuration" >"$work/eidd-discovery.json" ||
	: >"$work/eidd-discovery.json"

# ---- node-oidc-provider ----

peer_base=""
client_id=bench
client_secret=$(openssl rand -hex 24)
if [ "$with_peer" -eq 1 ]; then
	if [ ! -d "$here/peer/node_modules/oidc-provider" ]; then
		log "tools/bench/peer/node_modules is missing (npm ci --prefix tools/bench/peer)"
		exit 1
	fi
	peer_port=$(free_port)
	peer_base="http://127.0.0.1:$peer_port"
	start_server peer "$peer_base/.well-known/openid-configuration" \
		env NODE_ENV=production BENCH_WORKERS=2 BENCH_CLIENT_ID="$client_id" \
		BENCH_CLIENT_SECRET="$client_secret" \
		node "$here/peer/server.mjs" "$peer_port"
	peer_pid=$server_pid
	sleep 0.5 # the second worker
	sample_mem "$peer_pid" peer
	curl -fsS "$peer_base/.well-known/openid-configuration" >"$work/peer-discovery.json"
	{
		echo "peer_workers=2"
		echo "peer_cores=$(($(nproc) < 2 ? $(nproc) : 2))"
		echo "peer_version=$(node -p 'require(process.argv[1]).version' \
			"$here/peer/node_modules/oidc-provider/package.json")"
	} >>"$work/meta.env"
fi

# ---- what each row needs, prepared before the timed runs ----

basic="Basic $(printf '%s:%s' "$client_id" "$client_secret" | base64 -w0)"
redirect_uri="http://127.0.0.1/bench/callback"
rows="healthz discovery jwks client_credentials refresh_token authorization_code userinfo introspect chip_verify password_login"

unavailable() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$work/unavailable.tsv"; }

# Authorization codes live 60 s, so the code row runs at most 5 s on
# codes prepared just before it: up to 15,000 exchanges/s, but no more
# than prepare.mjs makes in 30 s (each code is a durable write at
# /authorize, so fewer on a slow disk) and none older than 30 s when the
# run starts.  Should they run out, the threads stop and the table says so.
code_duration=$((duration < 5 ? duration : 5))
prepared_count() { echo $((code_duration * 15000 + 1000)); }

# eidctl_once NAME INPUT GROUP COMMAND [ARGS...]: run an eidctl command
# on eidd's data directory once (the first call decides for later ones),
# INPUT on its standard input; on failure step_reason says why.
eidctl_once() {
	local name=$1 input=$2 group=$3 cmd=$4
	shift 4
	if [ ! -f "$work/$name.rc" ]; then
		if ! "$eidctl_bin" "$group" "$cmd" --help >/dev/null 2>&1; then
			printf "eidctl has no '%s %s' yet\n" "$group" "$cmd" >"$work/$name.out"
			echo 1 >"$work/$name.rc"
		elif printf '%s\n' "$input" | "$eidctl_bin" --data "$work/eidd-data" \
			"$group" "$cmd" "$@" >"$work/$name.out" 2>&1; then
			echo 0 >"$work/$name.rc"
		else
			sed -i "1s/^/eidctl $group $cmd failed: /" "$work/$name.out"
			echo 1 >"$work/$name.rc"
		fi
	fi
	step_reason=$(head -n 1 "$work/$name.out")
	[ "$(cat "$work/$name.rc")" = 0 ]
}

# The client, registered as an operator would (issue 4's eidctl client).
register_eidd_client() {
	eidctl_once client "$client_secret" client add \
		--id "$client_id" --name "Benchmark" --auth-method client_secret_basic \
		--grant client_credentials --grant authorization_code --grant refresh_token \
		--redirect-uri "$redirect_uri" --scope "openid profile offline_access" \
		--secret-stdin
}

# A signed-in citizen for the user-bound rows: the demo citizen Nguyễn Văn
# An.  --demo already gives him an account with the demo password
# (tools/demo.h); on a store without it he gets one with a fresh password
# (issue 3's eidctl account create).
bench_user=001090012345
bench_password=$(sed -n 's/^#define EID_DEMO_PASSWORD "\(.*\)"$/\1/p' "$root/tools/demo.h")
create_eidd_account() {
	if "$eidctl_bin" --data "$work/eidd-data" account show "$bench_user" >/dev/null 2>&1; then
		return 0
	fi
	bench_password=$(openssl rand -base64 18)
	eidctl_once account "$bench_password" account create \
		--personal-id "$bench_user" --phone +84901234567 --password-stdin
}

# The bench's test card: the demo citizen's, with a 20 KB DG2 as a real
# card's face, issued by eidd's own tooling (eidctl card issue: the test
# PKI in the data directory, an RSA-2048 Active Authentication key) and its
# CSCA trusted by the server as an operator would (eidctl csca import; the
# running eidd reloads its CSCA store at the next verification).
chip_card="$work/card.img"
issue_card() {
	eidctl_once card "" card issue --citizen "$bench_user" --out "$chip_card" \
		--face-bytes 20000 &&
		eidctl_once csca "" csca import "$work/eidd-data/test-pki/csca.pem"
}

# Challenges for POST /chip/verify: each is one request, prepared before
# the run (prepare.mjs chip) and valid 5 minutes, enough for this many
# verifications a second (a verification took 1.5 ms of eidd's CPU on
# 2026-11-23: about 1,300/s on 2 cores); should they run out, the threads
# stop and the table says so.
chip_rate_max=2000
chip_count() { echo $((duration * chip_rate_max + 500)); }

# prepare SERVER BASE KIND FILE [N]: run prepare.mjs; its reason on failure.
prepare() {
	local out
	out=$(BENCH_BASE="$2" BENCH_CLIENT_ID="$client_id" BENCH_CLIENT_SECRET="$client_secret" \
		BENCH_REDIRECT_URI="$redirect_uri" BENCH_USERNAME="$bench_user" \
		BENCH_PASSWORD="$bench_password" BENCH_AA_ANSWER="$aa_answer_bin" \
		BENCH_CHIP_IMAGE="$chip_card" \
		node "$here/prepare.mjs" "$3" ${5:+"$5"} "$4" 2>&1 | tail -n 1)
	[ "$out" = ok ] && return 0
	prep_reason=${out#unavailable }
	return 1
}

# The password-login row from test/idp/bench_password_login: CPU time of
# a login (eid_account_authenticate, durable commit included) against
# the bare Argon2id hash with the same parameters.
password_login_c() {
	local out
	log "eidd password login (C benchmark)"
	if ! out=$("$build_dir/test/idp/bench_password_login" 2>&1 | tail -n 1) ||
		[ "${out%% *}" != password_login ]; then
		unavailable eidd password_login "bench_password_login failed: $out"
		return
	fi
	printf '%s\n' "$out" >"$work/password_login.txt"
	unavailable eidd password_login "$(printf '%s\n' "$out" | awk '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "measured in C (bench_password_login): login %.1f ms CPU, Argon2id hash %.1f ms (m=%s KiB, t=%s, p=%s), overhead %s%% of the hash (wall-time medians: %s%%; %s Argon2 per login)",
			v["cpu_login_us"] / 1000, v["cpu_hash_us"] / 1000, v["m"], v["t"], v["p"],
			v["overhead_pct"], v["wall_overhead_pct"], v["argon2_per_login"] }')"
}

# cc_token SERVER BASE FILE: a client_credentials access token into FILE.
cc_token() {
	curl -fsS -u "$client_id:$client_secret" -d grant_type=client_credentials \
		"$2$(node "$here/report.mjs" probe "$work/$1-discovery.json" client_credentials |
			sed -n 's/^ok //p')" | node -e '
let s = ""; process.stdin.on("data", (d) => { s += d; });
process.stdin.on("end", () => { const t = JSON.parse(s).access_token; if (!t) process.exit(1); console.log(t); });' \
		>"$3" 2>/dev/null
}

# setup_row SERVER BASE ROW: sets row_script, row_path, row_auth, row_file,
# row_per_run (prepare before every run: single-use values), or records
# why the row cannot run and fails.
setup_row() {
	local server=$1 base=$2 row=$3 probe
	row_script=get.lua row_auth="" row_file="" row_per_run=""
	case "$row" in
	chip_verify)
		# The phone app's way: an access token from the code flow,
		# challenges from POST /chip/challenge bound to it, each
		# answered by the card (prepare.mjs chip, before every run).
		if [ "$server" = peer ]; then
			unavailable peer "$row" "node-oidc-provider has no chip verification"
			return 1
		fi
		if [ ! -x "$aa_answer_bin" ]; then
			unavailable eidd "$row" "$aa_answer_bin is missing: build first (tools/dev.sh bench)"
			return 1
		fi
		if ! register_eidd_client || ! create_eidd_account || ! issue_card; then
			unavailable eidd "$row" "$step_reason"
			return 1
		fi
		row_script=chip_verify.lua row_path=/chip/verify
		row_file="$work/eidd-chip_verify.txt" row_per_run=chip
		return 0 ;;
	password_login)
		# Over HTTP each login needs a fresh interaction (a durable
		# write at /authorize), so the cost is measured in C: the
		# login against the Argon2id hash with the same parameters.
		if [ "$server" = eidd ] && [ -x "$build_dir/test/idp/bench_password_login" ]; then
			password_login_c
		else
			unavailable "$server" "$row" "not over HTTP yet (each login needs a prepared interaction)"
		fi
		return 1 ;;
	esac
	if [ "$server" = peer ] && [ "$row" = healthz ]; then
		unavailable peer healthz "node-oidc-provider has no health route"
		return 1
	fi
	probe=$(node "$here/report.mjs" probe "$work/$server-discovery.json" "$row")
	case "$probe" in
	"ok "*) row_path=${probe#ok } ;;
	*) unavailable "$server" "$row" "${probe#unavailable }"; return 1 ;;
	esac
	case "$row" in
	healthz|discovery|jwks) return 0 ;;
	esac
	if [ "$server" = peer ] && [ "$row" != client_credentials ]; then
		unavailable peer "$row" "the peer's server script prepares no user grants yet"
		return 1
	fi
	if [ "$server" = eidd ] && ! register_eidd_client; then
		unavailable eidd "$row" "$step_reason"
		return 1
	fi
	row_auth=$basic
	case "$row" in
	client_credentials)
		row_script=client_credentials.lua ;;
	introspect)
		row_script=introspect.lua
		row_file="$work/$server-introspect.txt"
		# Access tokens expire (10 minutes by default) and a full run
		# is longer: a fresh one before every run (row_per_run).
		row_per_run=cc_token
		if ! cc_token "$server" "$base" "$row_file"; then
			unavailable "$server" "$row" "no client_credentials access token to introspect"
			return 1
		fi ;;
	userinfo|refresh_token|authorization_code)
		if ! create_eidd_account; then
			unavailable eidd "$row" "$step_reason"
			return 1
		fi
		row_script=$row.lua
		[ "$row" = userinfo ] && row_auth=""
		row_file="$work/$server-$row.txt"
		[ "$row" = authorization_code ] && row_per_run=codes
		[ "$row" = refresh_token ] && row_per_run=refresh
		[ "$row" = userinfo ] && row_per_run=access
		if [ "$row" = userinfo ] && ! prepare "$server" "$base" access "$row_file"; then
			unavailable "$server" "$row" "$prep_reason"
			return 1
		fi ;;
	esac
	return 0
}

# run_row SERVER BASE ROW CONNS REP
run_row() {
	local server=$1 base=$2 row=$3 conns=$4 rep=$5 out n
	out="$work/runs/${server}__${row}__${conns}__${rep}.out"
	if [ "$row_per_run" = codes ]; then
		n=$(prepared_count)
		prepare "$server" "$base" codes "$row_file" "$n" || {
			unavailable "$server" "$row" "$prep_reason"; return 0; }
	elif [ "$row_per_run" = access ]; then
		prepare "$server" "$base" access "$row_file" || {
			unavailable "$server" "$row" "$prep_reason"; return 0; }
	elif [ "$row_per_run" = cc_token ]; then
		cc_token "$server" "$base" "$row_file" || {
			unavailable "$server" "$row" "no client_credentials access token to introspect"; return 0; }
	elif [ "$row_per_run" = chip ]; then
		prepare "$server" "$base" chip "$row_file" "$(chip_count)" || {
			unavailable "$server" "$row" "$prep_reason"; return 0; }
	elif [ "$row_per_run" = refresh ]; then
		# One rotating token per connection, each from its own grant.
		prepare "$server" "$base" refresh "$row_file" "$((conns + wrk_threads))" || {
			unavailable "$server" "$row" "$prep_reason"; return 0; }
	fi
	log "$server $row, $conns connections, run $rep"
	local d=$duration
	[ "$row_per_run" = codes ] && d=$code_duration
	BENCH_LUA="$here/lua" BENCH_THREADS="$wrk_threads" BENCH_PATH="$row_path" BENCH_AUTH="$row_auth" \
		BENCH_FILE="$row_file" \
		wrk -t "$wrk_threads" -c "$conns" -d "${d}s" --timeout 5s \
		-s "$here/lua/$row_script" "$base" >"$out" 2>&1 || true
}

servers="eidd"
[ "$with_peer" -eq 1 ] && servers="eidd peer"

# Which rows run on which server, decided once before any load: one file
# per ready row holding its settings, a line each.
mkdir -p "$work/ready"
for server in $servers; do
	base=$eidd_base
	[ "$server" = peer ] && base=$peer_base
	for row in $rows; do
		if setup_row "$server" "$base" "$row"; then
			printf '%s\n' "$row_script" "$row_path" "$row_auth" "$row_file" \
				"$row_per_run" >"$work/ready/${server}__$row"
		fi
	done
done

# load_row SERVER ROW: the settings setup_row kept for a ready row.
load_row() {
	{
		read -r row_script
		read -r row_path
		read -r row_auth
		read -r row_file
		read -r row_per_run
	} <"$work/ready/${1}__$2"
}

# A warm-up run of every row first (not recorded): node's JIT and both
# servers' caches settle before anything is measured.
for server in $servers; do
	for row in $rows; do
		[ -f "$work/ready/${server}__$row" ] || continue
		case "$row" in refresh_token|authorization_code|chip_verify) continue ;; esac
		base=$eidd_base
		[ "$server" = peer ] && base=$peer_base
		load_row "$server" "$row"
		BENCH_LUA="$here/lua" BENCH_THREADS="$wrk_threads" BENCH_PATH="$row_path" BENCH_AUTH="$row_auth" \
			BENCH_FILE="$row_file" wrk -t "$wrk_threads" -c 64 -d 1s \
			-s "$here/lua/$row_script" "$base" >/dev/null 2>&1 || true
	done
done

# Repetitions outermost, so background load spreads over every row alike;
# within one repetition each eidd row runs next to /healthz and the peer's
# same row, and the ratios are taken within it.
for rep in $(seq 1 "$repeat"); do
	for conns in $conns_list; do
		for row in $rows; do
			for server in $servers; do
				[ -f "$work/ready/${server}__$row" ] || continue
				base=$eidd_base
				[ "$server" = peer ] && base=$peer_base
				load_row "$server" "$row"
				run_row "$server" "$base" "$row" "$conns" "$rep"
			done
		done
	done
done

echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$work/meta.env"
sleep 0.3 # a last memory sample

# ---- chip: the APDUs and bytes of a card read ----

# The bench's card and two more of the citizen (BAC only; extended length,
# the card answering up to 65536 bytes) read through pcscd, vpcd and
# eid-vcard by `eidctl chip read` (chipread.mjs); the table sets the
# reader's counts against the fewest READ BINARYs the card allows.
chip_read() {
	local out can=${bench_user: -6}
	if [ ! -x "$build_dir/tools/eid-vcard" ]; then
		echo "$build_dir/tools/eid-vcard is missing" >"$work/chipread.unavailable"
		return 0
	fi
	if ! issue_card ||
		! eidctl_once card_bac "" card issue --citizen "$bench_user" \
			--out "$work/card-bac.img" --fault bac-only --face-bytes 20000 ||
		! eidctl_once card_ext "" card issue --citizen "$bench_user" \
			--out "$work/card-ext.img" --extended --max-read 65536 --face-bytes 20000; then
		echo "$step_reason" >"$work/chipread.unavailable"
		return 0
	fi
	log "chip: reading the cards through pcscd"
	out=$(EID_BUILD_DIR="$build_dir" node "$here/chipread.mjs" "$work/chipread.json" \
		"$eidctl_bin" "$work/eidd-data" "$can" "$chip_card" "$work/card-bac.img" \
		"$work/card-ext.img" 2>&1 | tail -n 1)
	[ "$out" = ok ] || printf '%s\n' "${out#unavailable }" >"$work/chipread.unavailable"
}
if [ "$with_chip" -eq 1 ]; then
	chip_read
fi

# ---- scale: generated citizens and import ----

# scale_userinfo N DIR: eidd on the generated store of N citizens, and
# GET /userinfo with an access token for the profile scope, which reads
# the citizen's registry record and account on every request: its rate
# and latency at this size (64 connections, one run of the row's length).
# The citizen is the demo one (--demo seeds him and his account into the
# big store), so the lookups walk a tree of N records.
scale_userinfo() {
	local n=$1 dir=$2 port base pid out
	if ! printf '%s\n' "$client_secret" | "$eidctl_bin" --data "$dir" client add \
		--id "$client_id" --name "Benchmark" --auth-method client_secret_basic \
		--grant client_credentials --grant authorization_code --grant refresh_token \
		--redirect-uri "$redirect_uri" --scope "openid profile offline_access" \
		--secret-stdin >"$work/scale-$n-client.out" 2>&1; then
		log "scale $n: eidctl client add failed: $(head -n 1 "$work/scale-$n-client.out")"
		return 0
	fi
	port=$(free_port)
	base="http://127.0.0.1:$port"
	"$eidd_bin" --config "$work/eidd.ini" --data "$dir" --demo \
		--listen "127.0.0.1:$port" >"$work/scale-$n-eidd.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	if ! wait_http "$base/healthz" "$pid"; then
		log "scale $n: eidd did not start: $(tail -n 1 "$work/scale-$n-eidd.log")"
		return 0
	fi
	if prepare eidd "$base" access "$work/scale-$n-token.txt"; then
		log "scale: userinfo at $n citizens"
		BENCH_LUA="$here/lua" BENCH_THREADS="$wrk_threads" BENCH_PATH=/userinfo BENCH_AUTH="" \
			BENCH_FILE="$work/scale-$n-token.txt" \
			wrk -t "$wrk_threads" -c 64 -d "${duration}s" --timeout 5s \
			-s "$here/lua/userinfo.lua" "$base" >"$work/scale-$n-userinfo.out" 2>&1 || true
		out=$(sed -n 's/^BENCHJSON //p' "$work/scale-$n-userinfo.out")
		if [ -n "$out" ]; then
			printf '%s\n' "$out" | node -e '
let s = ""; process.stdin.on("data", (d) => { s += d; });
process.stdin.on("end", () => {
  const j = JSON.parse(s), n = process.argv[1];
  const errors = j.non2xx + j.connect_errors + j.read_errors + j.write_errors + j.timeouts;
  for (const [k, v] of [["ui_rps", j.requests / (j.duration_us / 1e6)], ["ui_p50_us", j.p50_us],
    ["ui_p99_us", j.p99_us], ["ui_errors", errors]])
    console.log(`${n}\t${k}\t${Math.round(v)}`);
});' "$n" >>"$work/scale.tsv"
		fi
	else
		log "scale $n: no access token: $prep_reason"
	fi
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# scale_size N: generate N citizens straight into a store; bytes per
# citizen from the data directory's size; import speed.
scale_size() {
	local n=$1 dir="$work/scale-$n" out rate
	rm -rf "$dir"
	mkdir -p "$dir"
	log "scale: $n citizens into a store"
	out=$("$gen_bin" --data "$dir" --count "$n" --map-mb 65536)
	rate=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9]*\)\/s$/\1/p')
	printf '%s\tgen_rate\t%s\n' "$n" "$rate" >>"$work/scale.tsv"
	printf '%s\tbytes\t%s\n' "$n" "$(du -sb "$dir" | cut -f1)" >>"$work/scale.tsv"
	scale_userinfo "$n" "$dir"
	rm -rf "$dir"
	if "$eidctl_bin" registry import --help >/dev/null 2>&1; then
		# Wall time and the import's user + sys CPU time (bash's time
		# keyword): on a shared machine the wall rate is mostly the
		# wait for a CPU, the CPU rate is the import's own cost.
		local file="$work/citizens-$n.jsonl" TIMEFORMAT='%3R %3U %3S' wall user sys
		"$gen_bin" --jsonl "$file" --count "$n" >/dev/null
		mkdir -p "$dir"
		{ time "$eidctl_bin" --data "$dir" registry import "$file" \
			>/dev/null 2>"$work/import-$n.err"; } 2>"$work/import-$n.time"
		read -r wall user sys <"$work/import-$n.time"
		awk -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN {
			printf "%s\timport_rate\t%.0f\n", n, n / w
			printf "%s\timport_cpu_rate\t%.0f\n", n, n / (u + s > 0 ? u + s : 0.001) }' \
			>>"$work/scale.tsv"
		rm -rf "$dir" "$file"
	fi
}

if [ -n "$scale_sizes" ]; then
	if [ ! -x "$gen_bin" ]; then
		log "$gen_bin is missing: no scale figures"
	else
		for n in $scale_sizes; do
			scale_size "$n"
		done
		# Before `eidctl registry import` exists: the library import, 200
		# thousand rows (test/idp/bench_registry_import).
		if ! "$eidctl_bin" registry import --help >/dev/null 2>&1 &&
			[ -x "$build_dir/test/idp/bench_registry_import" ]; then
			log "scale: library import (eidctl registry import is not there yet)"
			"$build_dir/test/idp/bench_registry_import" >"$work/import.txt"
			awk '/CSV, new records/ { for (i = 1; i <= NF; i++) if ($i == "rows/s") print $(i - 1) }' \
				"$work/import.txt" | head -n 1 |
				sed 's/^/200000\timport_rate\t/' >>"$work/scale.tsv"
		fi
	fi
fi

node "$here/report.mjs" table "$work"
