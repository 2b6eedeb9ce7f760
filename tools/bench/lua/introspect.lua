-- RFC 7662: POST token=... to the introspection endpoint, the client
-- authenticated with HTTP Basic.  The token (a valid access token) is the
-- first line of BENCH_FILE.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local bench = require("bench")

local req

function init(args)
	local token = bench.my_lines()[1] or ""
	req = wrk.format("POST", bench.path,
		bench.headers("application/x-www-form-urlencoded"),
		bench.form({ { "token", token },
			{ "token_type_hint", "access_token" } }))
end

function request()
	return req
end

function response(status, headers, body)
	bench.count_status(status)
end
