-- GET BENCH_PATH with an optional Authorization header (/healthz,
-- discovery, /jwks, /userinfo with a bearer token).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local bench = require("bench")

local req

function init(args)
	req = wrk.format("GET", bench.path, bench.headers(nil))
end

function request()
	return req
end
