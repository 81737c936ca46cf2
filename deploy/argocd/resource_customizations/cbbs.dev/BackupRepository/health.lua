-- Argo CD health check for cbbs.dev BackupRepository (long-lived).
-- kstatus semantics: status missing or older than metadata.generation -> Progressing;
-- Stalled=True -> Degraded; then backup health (BackupRepository): RPOMet=False -> Degraded, or,
-- without an RPO, BackupsSucceeding=False -> Degraded; Ready=True -> Healthy;
-- Reconciling=True -> Progressing; Ready=False otherwise -> Degraded; anything else -> Progressing.
-- Written for gopher-lua (Lua 5.1, as Argo CD runs it) and tested with Lua 5.4.
local hs = {}

local function findCondition(status, conditionType)
  if type(status.conditions) ~= "table" then
    return nil
  end
  for _, condition in ipairs(status.conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

local function messageOf(condition, fallback)
  if condition ~= nil and condition.message ~= nil and condition.message ~= "" then
    return condition.message
  end
  return fallback
end

local status = obj.status
if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end

local generation = nil
if obj.metadata ~= nil then
  generation = obj.metadata.generation
end
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local stalled = findCondition(status, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = messageOf(stalled, "Stalled")
  return hs
end

local ready = findCondition(status, "Ready")

-- Backup health. Ready is about reconciliation only, so these come before Ready=True -> Healthy. A
-- declared RPO is the tolerance: with one, only a missed RPO degrades (a single failed backup within
-- the objective does not); without one, a failed last backup does. Kinds without these conditions
-- pass through.
local rpoMet = findCondition(status, "RPOMet")
if rpoMet ~= nil then
  if rpoMet.status == "False" then
    hs.status = "Degraded"
    hs.message = messageOf(rpoMet, "RPO missed")
    return hs
  end
else
  local backups = findCondition(status, "BackupsSucceeding")
  if backups ~= nil and backups.status == "False" then
    hs.status = "Degraded"
    hs.message = messageOf(backups, "The last backup failed")
    return hs
  end
end

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
