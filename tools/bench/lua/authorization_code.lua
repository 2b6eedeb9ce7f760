-- RFC 6749 section 4.1.3 with PKCE (RFC 7636): exchange an authorization
-- code at the token endpoint, the client authenticated with HTTP Basic.
-- BENCH_FILE holds one prepared code per line as
-- "CODE CODE_VERIFIER REDIRECT_URI"; each is used once.  A thread that
-- runs out of codes stops (the rate is over the time it ran), and the
-- table notes it ("starved"): too few codes, not a server error.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local bench = require("bench")

local codes, i, headers

function init(args)
	codes = bench.my_lines()
	i = 0
	headers = bench.headers("application/x-www-form-urlencoded")
end

function request()
	i = i + 1
	local line = codes[i]
	if line == nil then
		-- Out of codes: stop this thread; the one request wrk still
		-- needs is a harmless GET of discovery.
		starved = starved + 1
		wrk.thread:stop()
		return wrk.format("GET", "/.well-known/openid-configuration")
	end
	local code, verifier, redirect = line:match("^(%S+) (%S+) (%S+)$")
	return wrk.format("POST", bench.path, headers, bench.form({
		{ "grant_type", "authorization_code" },
		{ "code", code or line },
		{ "redirect_uri", redirect or "" },
		{ "code_verifier", verifier or "" },
	}))
end

function response(status, headers, body)
	bench.count_status(status)
end
