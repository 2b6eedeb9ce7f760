-- RFC 6749 section 6: the refresh token grant with rotation.  Each
-- thread starts with its share of BENCH_FILE (one refresh token per line,
-- at least one per connection, each from its own grant) in a pool; a
-- request takes a token from the pool and its response puts the rotated
-- one back, so every token is used exactly once.  A failed response loses
-- its token; a request finding the pool empty is counted as "starved" and
-- sent with an invalid token, so it shows as an error.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local bench = require("bench")

local pool, headers

function init(args)
	pool = bench.my_lines()
	headers = bench.headers("application/x-www-form-urlencoded")
end

function request()
	local token = table.remove(pool)
	if token == nil then
		starved = starved + 1
		token = "exhausted"
	end
	return wrk.format("POST", bench.path, headers, bench.form({
		{ "grant_type", "refresh_token" },
		{ "refresh_token", token },
	}))
end

function response(status, headers, body)
	bench.count_status(status)
	local rotated = body:match('"refresh_token"%s*:%s*"([^"]+)"')
	if rotated then
		table.insert(pool, rotated)
	end
end
