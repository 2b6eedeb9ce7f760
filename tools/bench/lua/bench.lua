-- Shared by every row's script: reads the row's settings from the
-- environment, keeps per-thread counters, and prints one machine-readable
-- line at the end ("BENCHJSON {...}") that tools/bench/report.mjs reads.
--
-- Environment (set by tools/bench/bench.sh):
--   BENCH_PATH    request path (from the discovery document)
--   BENCH_AUTH    value of the Authorization header, or empty
--   BENCH_FILE    prepared values, one per line (codes, tokens), or empty
--   BENCH_THREADS wrk's thread count (-t), to share BENCH_FILE out
local M = {}

M.path = os.getenv("BENCH_PATH") or "/"
M.auth = os.getenv("BENCH_AUTH") or ""

local threads = {}
local next_id = 0

-- wrk calls setup() for a thread, in the main state, just before that
-- thread's init(): so a thread knows its own number there but not yet how
-- many follow, which comes from BENCH_THREADS (wrk -t).
thread_id = 0
thread_count = tonumber(os.getenv("BENCH_THREADS") or "1") or 1

function setup(thread)
	thread:set("thread_id", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

non2xx = 0
starved = 0

-- Rows that look at responses count every status outside 200..299 (wrk
-- itself counts only >= 400).
function M.count_status(status)
	if status < 200 or status > 299 then
		non2xx = non2xx + 1
	end
end

-- This thread's share of the prepared values: lines i with
-- i % thread_count == thread_id, so no two threads use the same one.
function M.my_lines()
	local file = os.getenv("BENCH_FILE") or ""
	local mine = {}
	if file == "" then
		return mine
	end
	local i = 0
	for line in io.lines(file) do
		if line ~= "" then
			if i % thread_count == thread_id then
				table.insert(mine, line)
			end
			i = i + 1
		end
	end
	return mine
end

-- A row that sends one fixed request: build() makes it once per thread.
-- With count, a response() callback counts every non-2xx (it costs wrk a
-- little CPU per response, so the HTTP-floor rows go without).
function M.fixed(build, count)
	local req
	function init(args)
		req = build()
	end
	function request()
		return req
	end
	if count then
		function response(status, headers, body)
			M.count_status(status)
		end
	end
end

-- The one value every thread shares (a token to present).
function M.first_line()
	local file = os.getenv("BENCH_FILE") or ""
	if file == "" then
		return ""
	end
	for line in io.lines(file) do
		return line
	end
	return ""
end

function M.headers(content_type)
	local h = {}
	if M.auth ~= "" then
		h["Authorization"] = M.auth
	end
	if content_type then
		h["Content-Type"] = content_type
	end
	return h
end

-- RFC 3986 unreserved characters pass; everything else is %XX.
function M.urlencode(s)
	return (s:gsub("[^%w%-%._~]", function(c)
		return string.format("%%%02X", string.byte(c))
	end))
end

function M.form(fields)
	local parts = {}
	for _, kv in ipairs(fields) do
		table.insert(parts, kv[1] .. "=" .. M.urlencode(kv[2]))
	end
	return table.concat(parts, "&")
end

function done(summary, latency, requests)
	local n2, st = 0, 0
	for _, t in ipairs(threads) do
		n2 = n2 + (t:get("non2xx") or 0)
		st = st + (t:get("starved") or 0)
	end
	local e = summary.errors
	io.write(string.format(
		'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
		'"p50_us":%d,"p99_us":%d,"max_us":%d,"status_errors":%d,' ..
		'"non2xx":%d,"starved":%d,"connect_errors":%d,' ..
		'"read_errors":%d,"write_errors":%d,"timeouts":%d}\n',
		summary.requests, summary.duration, summary.bytes,
		latency:percentile(50), latency:percentile(99), latency.max,
		e.status, n2, st, e.connect, e.read, e.write, e.timeout))
end

return M
