-- Shared end of every cbbs.dev health check; generate-configmap.sh inserts it where a source says
-- "-- #include conditions.lua". The kstatus conditions decide: Ready=True -> Healthy,
-- Reconciling=True -> Progressing, Ready=False -> Degraded, anything else -> Progressing.
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = messageOf(ready, "Ready")
  return hs
end

local reconciling = findCondition(status, "Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = messageOf(reconciling, "Reconciling")
  return hs
end

if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = messageOf(ready, "Not ready")
  return hs
end

hs.status = "Progressing"
hs.message = messageOf(ready, "Waiting for the Ready condition")
return hs
