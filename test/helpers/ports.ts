// Free loopback ports for tests that must name ports up front (cluster seeds, child processes).
export { freePorts } from '../../sim/live/ports.ts';
