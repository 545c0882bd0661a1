-- trace-id's per-request work in Lua (the comparison for build/trace-id.wasm with its defaults):
-- keep a valid W3C traceparent or start a new trace (random 128-bit trace id, 64-bit span id,
-- flags 03), keep or generate x-request-id (UUID v4), echo the trace id as x-trace-id.
local random, format, sub = math.random, string.format, string.sub
local hex = "[0-9a-f]"
local TRACEPARENT = "^00%-(" .. hex:rep(32) .. ")%-(" .. hex:rep(16) .. ")%-" .. hex:rep(2) .. "$"
local ZERO32, ZERO16 = ("0"):rep(32), ("0"):rep(16)

local function hex16() return format("%04x", random(0, 0xffff)) end

function envoy_on_request(handle)
  local headers = handle:headers()
  local tp = headers:get("traceparent")
  local trace
  if tp then
    local t, span = tp:match(TRACEPARENT)
    if t and t ~= ZERO32 and span ~= ZERO16 then trace = t end
  end
  if not trace then
    repeat
      trace = hex16() .. hex16() .. hex16() .. hex16() .. hex16() .. hex16() .. hex16() .. hex16()
    until trace ~= ZERO32
    headers:replace("traceparent", "00-" .. trace .. "-" .. hex16() .. hex16() .. hex16() .. format("%04x", random(1, 0xffff)) .. "-03")
    headers:remove("tracestate")
  end
  local rid = headers:get("x-request-id")
  if not rid or rid == "" then
    headers:replace("x-request-id", format("%s%s-%s-4%03x-%04x-%s%s%s",
      hex16(), hex16(), hex16(), random(0, 0xfff), 0x8000 + random(0, 0x3fff), hex16(), hex16(), hex16()))
  end
  handle:streamInfo():dynamicMetadata():set("bench.trace_id", "trace", trace)
end

function envoy_on_response(handle)
  local md = handle:streamInfo():dynamicMetadata():get("bench.trace_id")
  if md then handle:headers():add("x-trace-id", md.trace) end
end
