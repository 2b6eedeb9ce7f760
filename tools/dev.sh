#!/usr/bin/env bash
# The developer's entry point.  On a fresh Debian 12 machine each command
# does all of its own set-up (installs what is missing, configures, builds).
#
#   tools/dev.sh run      build and start eidd with demo data on ./var
#   tools/dev.sh test     build (plain, sanitized, release) and run every
#                         test, then every fuzz target for 5 s
#                         (EID_FUZZ_SECONDS); ends with "N passed, N failed"
#   tools/dev.sh fuzz [TARGET] [SECONDS]   run libFuzzer targets (clang)
#   tools/dev.sh bench [--quick] [--full] ...   optimised build, eidd and
#                         node-oidc-provider under wrk, one table
#                         (tools/bench/bench.sh, docs/performance.md)
#   tools/dev.sh soak [MINUTES] [--no-disk-full] [--registry-500 F]
#                         [--registry-hang F]   plain (-O2) build, eidd
#                         under mixed traffic with failing peers (SMS,
#                         logout, the remote registry: fractions F of its
#                         lookups answer 500 or hang, default 0.1 each) and
#                         a full disk; RSS, fds, errors, verdicts
#                         (tools/soak/, docs/security.md)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# What the build needs (libraries and tools), and what the tests add
# (pcscd and vsmartcard-vpcd: the chip tests' PC/SC stack; the test starts
# its own pcscd, so no service manager is needed; zbar-tools: the QR test
# decodes the login page's PNG with zbarimg; softhsm2: the PKCS#11 tests'
# token; time: wrk's CPU time in tools/bench/signer_ab.sh).
build_packages=(
	build-essential meson ninja-build pkg-config
	libssl-dev libcjose-dev libjansson-dev liblmdb-dev libmicrohttpd-dev
	libcurl4-openssl-dev libqrencode-dev libcbor-dev libpcsclite-dev
	libargon2-dev libinih-dev libcmocka-dev zlib1g-dev libseccomp-dev
	libp11-dev libp11-kit-dev libunistring-dev
)
test_packages=(
	clang curl ca-certificates pcscd vsmartcard-vpcd libccid
	lmdb-utils openssl wrk nodejs npm chromium zbar-tools softhsm2 time
)

log() { printf 'dev.sh: %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	# node and npm may come from outside Debian (a newer Node); keep those.
	if command -v node >/dev/null && command -v npm >/dev/null; then
		local kept=()
		for p in "${missing[@]}"; do
			case "$p" in nodejs|npm) ;; *) kept+=("$p") ;; esac
		done
		missing=("${kept[@]}")
	fi
	[ "${#missing[@]}" -eq 0 ] && return 0
	log "installing: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}

# build DIR [meson options...]: configure once, then build incrementally.
build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir" >&2
}

cmd_run() {
	install_packages "${build_packages[@]}"
	build build
	mkdir -p var
	exec build/tools/eidd --data var --demo "$@"
}

# Runs meson's tests in one build dir; adds to the global counts.
passed=0
failed=0
run_suite() {
	local dir=$1 label=$2 out ok fail
	shift 2
	log "testing: $label"
	set +e
	out=$(meson test -C "$dir" --print-errorlogs "$@" 2>&1)
	set -e
	printf '%s\n' "$out" >&2
	ok=$(printf '%s\n' "$out" | awk '/^Ok:/ {print $2}' | tail -n 1)
	fail=$(printf '%s\n' "$out" |
		awk '/^(Fail|Unexpected Pass|Timeout):/ {n += $NF} END {print n + 0}')
	if [ -z "$ok" ]; then
		log "$label: meson test printed no summary"
		fail=$((fail + 1))
		ok=0
	fi
	passed=$((passed + ok))
	failed=$((failed + fail))
}

# check LABEL COMMAND...: one more pass or failure.
check() {
	local label=$1
	shift
	log "checking: $label"
	if "$@"; then
		passed=$((passed + 1))
	else
		log "$label: FAILED"
		failed=$((failed + 1))
	fi
}

fuzz_names() {
	local n
	for n in test/fuzz/fuzz_*.c; do
		n=${n##*/fuzz_}
		printf '%s\n' "${n%.c}"
	done
}

# The libFuzzer build (clang, ASan + UBSan) of the given targets.
fuzz_build() {
	if [ ! -f build-fuzz/build.ninja ]; then
		CC=clang meson setup build-fuzz -Dfuzz=true \
			-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	fi
	ninja -C build-fuzz "${@/#/test/fuzz/fuzz_}" >&2
}

# fuzz_run NAME SECONDS CORPUS_DIR: new inputs go to CORPUS_DIR, the seeds
# stay as they are; UBSan findings stop the run (and leave the input)
# like crashes.
fuzz_run() {
	local n=$1 seconds=$2 dir=$3
	mkdir -p "$dir"
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
	build-fuzz/test/fuzz/fuzz_"$n" -max_total_time="$seconds" \
		-print_final_stats=1 -artifact_prefix="$dir-" \
		"$dir" "test/fuzz/corpus/$n"
}

fuzz_smoke() {
	local seconds=$1 names n work
	[ "$seconds" -gt 0 ] || return 0
	mapfile -t names < <(fuzz_names)
	if ! fuzz_build "${names[@]}"; then
		log "fuzz build failed"
		failed=$((failed + 1))
		return 0
	fi
	work=$(mktemp -d)
	for n in "${names[@]}"; do
		if fuzz_run "$n" "$seconds" "$work/$n" 2>"$work/$n.log"; then
			passed=$((passed + 1))
			log "fuzz_$n: $(grep -m1 '^stat::number_of_executed_units' "$work/$n.log" || true)"
		else
			failed=$((failed + 1))
			log "fuzz_$n: FAILED"
			tail -n 40 "$work/$n.log" >&2
		fi
	done
	rm -rf "$work"
}

# npm packages exactly as locked in DIR/package-lock.json: the integration
# tests' (jose, openid-client), the benchmark's peer (oidc-provider).
install_node_modules() {
	local dir=$1
	if [ ! -d "$dir/node_modules" ] ||
		[ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
		log "installing npm packages in $dir"
		npm ci --prefix "$dir" --no-audit --no-fund >&2
		touch "$dir/node_modules"
	fi
}

cmd_test() {
	install_packages "${build_packages[@]}" "${test_packages[@]}"
	install_node_modules test/integration
	local build_failed=0
	build build || build_failed=1
	# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
	build build-san -Db_sanitize=address,undefined -Db_lundef=false || build_failed=1
	if [ "$build_failed" -ne 0 ]; then
		log "build failed"
		echo "0 passed, 1 failed"
		return 1
	fi
	run_suite build "plain build"
	# The sanitizer options come from the default test setup (meson.build).
	run_suite build-san "sanitized build" --no-suite integration
	# The optimised build tools/dev.sh bench uses: -O3 inlining finds
	# warnings (-Werror) that the plain build does not.
	check "release build" build build-release --buildtype=release -Db_ndebug=true
	# Every libFuzzer target for a short budget, beyond its replayed
	# corpus (EID_FUZZ_SECONDS each, default 5; 0 skips).
	fuzz_smoke "${EID_FUZZ_SECONDS:-5}"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

cmd_bench() {
	install_packages "${build_packages[@]}" "${test_packages[@]}"
	install_node_modules tools/bench/peer
	# Only what the benchmark runs: a release build of everything else
	# (the unit tests) is not needed here.
	if [ ! -f build-release/build.ninja ]; then
		meson setup build-release --buildtype=release -Db_ndebug=true >/dev/null
	fi
	ninja -C build-release tools/eidd tools/eidctl tools/bench/gen_citizens \
		tools/bench/aa_answer tools/eid-vcard \
		test/idp/bench_registry_import \
		test/idp/bench_password_login >&2
	exec tools/bench/bench.sh --build "$root/build-release" "$@"
}

cmd_soak() {
	local minutes=${1:-10}
	shift || true
	install_packages "${build_packages[@]}" nodejs
	# The plain build is optimised (-O2) and keeps its symbols for a
	# crash's backtrace.
	if [ ! -f build/build.ninja ]; then
		meson setup build >/dev/null
	fi
	ninja -C build tools/eidd tools/eidctl tools/bench/gen_citizens >&2
	exec node tools/soak/soak.mjs --build "$root/build" \
		--minutes "$minutes" "$@"
}

cmd_fuzz() {
	install_packages "${build_packages[@]}" clang
	local target=${1:-} seconds=${2:-60} names=() n
	for n in $(fuzz_names); do
		[ -n "$target" ] && [ "$target" != "$n" ] && continue
		names+=("$n")
	done
	if [ "${#names[@]}" -eq 0 ]; then
		log "no fuzz target '$target' (ls test/fuzz/fuzz_*.c)"
		return 2
	fi
	# Only the targets: the rest of the tree is not needed here.
	fuzz_build "${names[@]}"
	for n in "${names[@]}"; do
		log "fuzzing $n for ${seconds}s"
		fuzz_run "$n" "$seconds" "build-fuzz/corpus/$n"
	done
}

case "${1:-}" in
run) shift; cmd_run "$@" ;;
test) shift; cmd_test "$@" ;;
fuzz) shift; cmd_fuzz "$@" ;;
bench) shift; cmd_bench "$@" ;;
soak) shift; cmd_soak "$@" ;;
*) echo "usage: tools/dev.sh run|test|fuzz [TARGET] [SECONDS]|bench [--quick]|soak [MINUTES]" >&2; exit 2 ;;
esac
