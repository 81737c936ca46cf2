#!/usr/bin/env node
// kubectl's completion hook for the plugin: kubectl 1.26+ runs `kubectl_complete-cbbs ARGS...`.
process.env.CBBS_COBRA_COMPLETE = '1';
await import('./main.ts');
