-- RFC 7662: POST token=... to the introspection endpoint, the client
-- authenticated with HTTP Basic.  The token (a valid access token) is the
-- first line of BENCH_FILE.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local bench = require("bench")

bench.fixed(function()
	return wrk.format("POST", bench.path,
		bench.headers("application/x-www-form-urlencoded"),
		bench.form({ { "token", bench.first_line() },
			{ "token_type_hint", "access_token" } }))
end, true)
