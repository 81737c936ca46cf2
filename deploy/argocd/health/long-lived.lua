-- Argo CD health check for cbbs.dev {{KIND}} (long-lived).
-- kstatus semantics: status missing or older than metadata.generation -> Progressing;
-- Stalled=True -> Degraded; then backup health (BackupRepository): RPOMet=False -> Degraded, or,
-- without an RPO, BackupsSucceeding=False -> Degraded; Ready=True -> Healthy;
-- Reconciling=True -> Progressing; Ready=False otherwise -> Degraded; anything else -> Progressing.
-- Written for gopher-lua (Lua 5.1, as Argo CD runs it) and tested with Lua 5.4.
-- #include prelude.lua

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

-- #include conditions.lua
