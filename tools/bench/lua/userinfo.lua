-- OIDC Core section 5.3: GET /userinfo with "Authorization: Bearer" and a
-- valid access token (the first line of BENCH_FILE).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local bench = require("bench")

local req

function init(args)
	local token = bench.my_lines()[1] or ""
	req = wrk.format("GET", bench.path, { ["Authorization"] = "Bearer " .. token })
end

function request()
	return req
end

function response(status, headers, body)
	bench.count_status(status)
end
