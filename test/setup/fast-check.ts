// Property tests run on a fixed seed so CI is repeatable; FC_SEED=<n> (or
// FC_SEED=random) explores other inputs locally. A failure prints its seed.
import fc from 'fast-check';

const s = process.env.FC_SEED;
if (s !== 'random') fc.configureGlobal({ seed: s === undefined ? 20261122 : Number(s) });
