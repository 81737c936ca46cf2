-- Argo CD health check for cbbs.dev {{KIND}} (long-lived).
-- kstatus semantics: status missing or older than metadata.generation -> Progressing;
-- Stalled=True -> Degraded; Ready=True -> Healthy; Reconciling=True -> Progressing;
-- Ready=False otherwise -> Degraded; anything else -> Progressing.
-- Written for gopher-lua (Lua 5.1, as Argo CD runs it) and tested with Lua 5.4.
-- #include prelude.lua

-- #include conditions.lua
