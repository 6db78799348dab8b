// One load generator for tests and benchmarks; it lives with the benchmarks, which run without a
// TypeScript build.
export { Load, type Sample } from '../../bench/lib/load.mjs';
