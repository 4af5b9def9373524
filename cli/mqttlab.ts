// `mqttlab`: the one command. `mqttlab start|ctl|passwd|ui` are the runtime's commands, `mqttlab sim ...`
// the simulator's; inside the repository `npx runtime ...` and `npx sim ...` are short forms of the same.

import { VERSION } from '../core/broker.ts';
import { dispatch, type Group } from './args.ts';
import { runCli } from './errors.ts';
import { RUNTIME } from '../runtime/cli.ts';
import { SIM } from '../sim/cli.ts';

export const MQTTLAB: Group = {
  summary: `mqttlab ${VERSION}: a clustered MQTT 3.1.1/5.0 broker and the deterministic simulator that tests it.`,
  commands: {
    ...RUNTIME.commands,
    sim: {
      summary: 'the simulator: sim run FILE | replay TRACE | explore | report (see mqttlab sim --help)',
      run: (argv, prog) => dispatch(SIM, argv, prog, VERSION),
    },
  },
  more: 'Exit codes (every command): 0 pass, 1 verdict FAIL, 2 usage, 3 load or internal error.\n--stack (or DEBUG=mqttlab) shows stack traces. Docs: README.md and docs/.',
};

/** `mqttlab ARGS`; the exit code, or -1 when a broker keeps running. */
export function main(argv: string[]): Promise<number> {
  return runCli(argv, (a) => dispatch(MQTTLAB, a, 'mqttlab', VERSION));
}
