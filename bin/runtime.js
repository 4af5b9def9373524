#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: no build step.
import './register.js';
const { main } = await import('../runtime/cli.ts');
const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
