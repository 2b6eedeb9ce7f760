-- POST /chip/verify (docs/chip.md "Server-side verification"): a chip
-- card's files and its Active Authentication answer to a challenge the
-- server issued, for the full verification (Passive Authentication of
-- EF.SOD and the DSC against the CSCA store, the data-group hashes, Active
-- Authentication with DG15's key).  BENCH_FILE (tools/bench/prepare.mjs
-- chip) holds the Authorization header of the caller the challenges were
-- issued to ("Bearer TOKEN"), then the card's files as JSON members, then
-- one "CHALLENGE_ID SIGNATURE" line per prepared challenge.  Each
-- challenge is single-use: a thread that runs out stops (the rate is over
-- the time it ran) and the table notes it ("starved").
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local bench = require("bench")

local answers, files, headers, i

-- The first two lines are shared; the rest are shared out by line number
-- as bench.my_lines() does.
local function load()
	local file = os.getenv("BENCH_FILE") or ""
	local n = 0
	answers = {}
	for line in io.lines(file) do
		n = n + 1
		if n == 1 then
			headers = { ["Authorization"] = line,
				    ["Content-Type"] = "application/json" }
		elseif n == 2 then
			files = line
		elseif line ~= "" and (n - 3) % thread_count == thread_id then
			table.insert(answers, line)
		end
	end
end

function init(args)
	load()
	i = 0
end

function request()
	i = i + 1
	local line = answers[i]
	if line == nil or files == nil then
		starved = starved + 1
		wrk.thread:stop()
		return wrk.format("GET", "/healthz")
	end
	local id, sig = line:match("^(%S+) (%S+)$")
	return wrk.format("POST", bench.path, headers,
		'{"challenge_id":"' .. (id or "") .. '","aa_signature":"' ..
		(sig or "") .. '",' .. files .. "}")
end

-- A 200 whose verdict is not valid is an error too: the card is good.
function response(status, headers, body)
	if status == 200 and not body:find('"valid":true', 1, true) then
		status = 422
	end
	bench.count_status(status)
end
