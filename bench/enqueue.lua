-- bench/enqueue.lua: wrk's requests for bench/enqueue, POST /api/v1/tasks
-- with the bearer token $BENCH_TOKEN. With $BENCH_BODY (a file) every
-- request sends that file as its body, of type $BENCH_TYPE (the bulk
-- enqueue); otherwise each request is one task as a form, for the
-- business's members user-1..user-$BENCH_USERS@bench.example and the
-- types bench-0..bench-9 in turn, with the payload {"n":i}.
local token = os.getenv("BENCH_TOKEN")
local users = tonumber(os.getenv("BENCH_USERS") or "1")
local body_file = os.getenv("BENCH_BODY")
local i = 0

if body_file then
    local f = assert(io.open(body_file, "rb"))
    wrk.method = "POST"
    wrk.body = f:read("*a")
    f:close()
    wrk.headers["Content-Type"] = os.getenv("BENCH_TYPE")
    wrk.headers["Authorization"] = "Bearer " .. token
else
    request = function()
        i = i + 1
        local body = "user=user-" .. (i % users + 1) .. "%40bench.example&type=bench-" .. (i % 10) ..
            "&payload=%7B%22n%22%3A" .. i .. "%7D"
        return wrk.format("POST", nil, {
            ["Content-Type"] = "application/x-www-form-urlencoded",
            ["Authorization"] = "Bearer " .. token,
        }, body)
    end
end
