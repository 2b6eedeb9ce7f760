-- OIDC Core section 5.3: GET /userinfo with "Authorization: Bearer" and a
-- valid access token (the first line of BENCH_FILE).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local bench = require("bench")

bench.fixed(function()
	return wrk.format("GET", bench.path,
		{ ["Authorization"] = "Bearer " .. bench.first_line() })
end, true)
