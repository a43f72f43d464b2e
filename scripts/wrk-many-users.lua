-- wrk script for scripts/bench.sh: every request carries the session cookie of a user picked
-- at random from the file named by CW_COOKIES (one `Cookie` value per line).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local cookies = {}
function init(args)
  for line in io.lines(os.getenv("CW_COOKIES")) do cookies[#cookies + 1] = line end
  math.randomseed(thread_id * 7919)
end

function request()
  return wrk.format("GET", nil, { ["Cookie"] = cookies[math.random(#cookies)] })
end
