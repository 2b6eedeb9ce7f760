-- GET BENCH_PATH with an optional Authorization header (/healthz,
-- discovery, /jwks).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local bench = require("bench")

bench.fixed(function()
	return wrk.format("GET", bench.path, bench.headers(nil))
end)
