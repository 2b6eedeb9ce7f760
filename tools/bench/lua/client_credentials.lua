-- RFC 6749 section 4.4: the client credentials grant, the client
-- authenticated with HTTP Basic (client_secret_basic, BENCH_AUTH).
-- BENCH_SCOPE and BENCH_RESOURCE (RFC 8707) are added when set.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local bench = require("bench")

bench.fixed(function()
	local fields = { { "grant_type", "client_credentials" } }
	local scope = os.getenv("BENCH_SCOPE") or ""
	local resource = os.getenv("BENCH_RESOURCE") or ""
	if scope ~= "" then
		table.insert(fields, { "scope", scope })
	end
	if resource ~= "" then
		table.insert(fields, { "resource", resource })
	end
	return wrk.format("POST", bench.path,
		bench.headers("application/x-www-form-urlencoded"),
		bench.form(fields))
end)
