#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: no build step.
import './register.js';
const { main } = await import('../sim/cli.ts');
process.exitCode = await main(process.argv.slice(2));
