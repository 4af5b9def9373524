// Runs the TypeScript sources directly through tsx (no build step), with the hooks that let scenario
// files outside the repository load (bin/hooks.js).
import { register } from 'node:module';
import { register as tsx } from 'tsx/esm/api';

tsx();
register('./hooks.js', import.meta.url);
