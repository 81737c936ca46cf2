-- Argo CD health check for cbbs.dev {{KIND}} (one-shot: phase decides once the status is current).
-- kstatus semantics: status missing or older than metadata.generation -> Progressing;
-- Stalled=True -> Degraded; then the phase: Succeeded -> Healthy, Failed -> Degraded with
-- status.error, Pending/Running -> Progressing; without a phase the conditions decide:
-- Ready=True -> Healthy, Reconciling=True -> Progressing, Ready=False -> Degraded, else Progressing.
-- Written for gopher-lua (Lua 5.1, as Argo CD runs it) and tested with Lua 5.4.
-- #include prelude.lua

-- One-shot kinds: the phase is the outcome. Succeeded and Failed are final.
if status.phase == "Succeeded" then
  hs.status = "Healthy"
  if status.taskName ~= nil and status.taskName ~= "" then
    hs.message = "Succeeded (task " .. status.taskName .. ")"
  else
    hs.message = "Succeeded"
  end
  return hs
end
if status.phase == "Failed" then
  hs.status = "Degraded"
  if status.error ~= nil and status.error ~= "" then
    hs.message = status.error
  else
    hs.message = messageOf(ready, "Failed")
  end
  return hs
end
if status.phase == "Pending" or status.phase == "Running" then
  hs.status = "Progressing"
  if status.progress ~= nil then
    hs.message = status.phase .. ": " .. tostring(status.progress) .. "%"
  else
    hs.message = status.phase
  end
  return hs
end

-- #include conditions.lua
