// The scenario API by name: `import { defineScenario, checkSafety } from 'mqttlab/sim'` works in a
// scenario file anywhere (package.json "exports"; the sim bin resolves `mqttlab/...` to this package
// for files outside it). docs/writing-scenarios.md walks through a scenario.

export {
  defineScenario,
  runScenario,
  type Scenario,
  type ScenarioContext,
  type ParamSpec,
  type LiveHints,
  type RunResult,
} from './scenario.ts';
export { World, type WorldOptions } from './world.ts';
export {
  simOnly,
  LiveUnsupported,
  type ScenarioWorld,
  type ScenarioClient,
  type ScenarioBalancer,
} from './scenario-world.ts';
export { SimClient, type ClientOptions } from './client.ts';
export {
  judge,
  checkSafety,
  checkNoLoss,
  checkNoQos2Duplicates,
  checkOrder,
  checkOnlySubscribed,
  checkConnackFirst,
  checkDupOnlyOnResend,
  checkSingleConnection,
  checkRetainedReads,
  checkWills,
  checkSharedOnce,
  checkClientProtocol,
  checkLinkDelivery,
  checkLinkLoops,
  DEFAULT_ACCEPTED,
  phaseStats,
  formatPhases,
  formatTally,
} from './checkers.ts';
export type {
  Expectation,
  PhaseStats,
  Violation,
  SafetyOptions,
  Tally,
  LossCategory,
  Verdicts,
  LinkExpectation,
} from './checkers.ts';
export { linkAddress } from './links.ts';
export { is, idOf, type Ev, type HistoryEvent, type EventOf, type At } from './events.ts';
export { convergenceProblems } from './convergence.ts';
export { deviceFleet, type Fleet } from './fleet.ts';
export { trafficPhases, type TrafficPhases, type Phase } from './traffic-phases.ts';
export { playSchedule, type Fault, type Schedule } from './explore.ts';
export { playSwarm, type Workload } from './swarm.ts';
