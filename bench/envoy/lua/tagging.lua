-- tagging's per-request work in Lua (the comparison for build/tagging.wasm with one rule and no
-- baggage): user-id % 100 == 20 → x-mesh-tag: gray, else the default tag stable; the header is
-- written only when it changes, and then the route is picked again (clearRouteCache).
local find = string.find

function envoy_on_request(handle)
  local headers = handle:headers()
  local uid = headers:get("user-id")
  local tag = "stable"
  if uid and #uid <= 18 and find(uid, "^%d+$") and tonumber(uid) % 100 == 20 then tag = "gray" end
  if headers:get("x-mesh-tag") ~= tag then
    headers:replace("x-mesh-tag", tag)
    handle:clearRouteCache()
  end
end
