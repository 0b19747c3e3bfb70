-- wrk script of the benchmark (issue 6): POSTs the relay bodies of a pre-generated file, one line per
-- request, each line at most once per run unless the run is told to wrap (targets that do not care about
-- duplicates: the mock chain directly and nginx in front of it).
--   wrk -t T -c C -d D --latency -s relay.lua URL -- FILE OFFSET MODE RATE THREADS PATH
-- FILE     relay bodies, one per line (bench-relaygen)
-- OFFSET   byte offset where this run starts reading (runs consume a shared pool one after the other)
-- MODE     "strict" (stop when the file ends; the extra requests go to /bench-exhausted and are counted)
--          or "wrap" (start again at OFFSET)
-- RATE     0 = as fast as the connections go; N = pace the whole run at N requests/s (delay())
-- THREADS  the -t value: thread k sends lines k, k+T, k+2T, … so no two threads send the same line
-- PATH     request path ("/v1/client/relay" for the mesh, "/" for the chain and nginx)
-- done() prints one line "BENCHJSON {…}" with the counts, statuses and latency percentiles (µs).

local threads = {}
local nextId = 0

function setup(thread)
   thread:set("id", nextId)
   nextId = nextId + 1
   table.insert(threads, thread)
end

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function nowMs()
   ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local file, offset, mode, nthreads, path
local lineNo = 0
local pos = 0
local headers = { ["Content-Type"] = "application/json" }
sent = 0          -- globals: read by done() through thread:get
exhausted = 0
wraps = 0
endpos = 0
statuses = {}

function init(args)
   file = assert(io.open(args[1], "rb"))
   offset = tonumber(args[2]) or 0
   mode = args[3] or "strict"
   local rate = tonumber(args[4]) or 0
   nthreads = tonumber(args[5]) or 1
   path = args[6] or "/"
   file:seek("set", offset)
   pos = offset
   endpos = offset
   if rate > 0 then
      -- Constant rate: one schedule per thread, a slot every nthreads/rate s. A connection asks for the
      -- next slot after its previous answer; a late schedule catches up (no coordinated omission fix).
      local interval = 1000.0 * nthreads / rate
      local nextSlot = nil
      function delay()
         local now = nowMs()
         if nextSlot == nil then nextSlot = now end
         local slot = nextSlot
         nextSlot = nextSlot + interval
         local wait = slot - now
         if wait < 0 then return 0 end
         return wait
      end
   end
end

function request()
   while true do
      local line = file:read("*l")
      if line == nil then
         if mode == "wrap" then
            file:seek("set", offset)
            pos = offset
            wraps = wraps + 1
            line = file:read("*l")
            if line == nil then error("relay file is empty") end
         else
            exhausted = exhausted + 1
            wrk.thread:stop()
            return wrk.format("GET", "/bench-exhausted")
         end
      end
      lineNo = lineNo + 1
      pos = pos + #line + 1
      if (lineNo - 1) % nthreads == id then
         sent = sent + 1
         endpos = pos
         return wrk.format("POST", path, headers, line)
      end
   end
end

function response(status, hdrs, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local total = { sent = 0, exhausted = 0, wraps = 0, endpos = 0 }
   local st = {}
   for _, t in ipairs(threads) do
      total.sent = total.sent + t:get("sent")
      total.exhausted = total.exhausted + t:get("exhausted")
      total.wraps = total.wraps + t:get("wraps")
      total.endpos = math.max(total.endpos, t:get("endpos"))
      for code, n in pairs(t:get("statuses")) do
         st[tostring(code)] = (st[tostring(code)] or 0) + n
      end
   end
   local parts = {}
   for code, n in pairs(st) do table.insert(parts, string.format('"%s":%d', code, n)) end
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"non_2xx_3xx":%d,' ..
      '"statuses":{%s},"sent":%d,"exhausted":%d,"wraps":%d,"endpos":%d,' ..
      '"latency_us":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"stdev":%.1f}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.timeout, e.status,
      table.concat(parts, ","), total.sent, total.exhausted, total.wraps, total.endpos,
      latency.min, latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max, latency.stdev))
end
