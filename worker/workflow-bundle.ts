/**
 * How the workflow bundle is built, the same for the worker bundling at start and for a prebuilt bundle
 * (the tests', `WORKFLOW_BUNDLE_PATH`).
 *
 * The SDK runs every workflow in one reused V8 context, but by default evaluates the bundle's modules
 * again for each new workflow run, so that no module state can leak between runs: for a conversation's
 * start and for every action run, the workflows, the flow interpreter, the answer parsers, the date
 * parser (chrono-node, about fifty modules with their locale tables) and the regex engine (re2js).
 * `preloadModules` evaluates them once, before any workflow exists, and shares them (frozen) across runs.
 *
 * That is safe because none of them keeps per-run state at module scope. The SDK's APIs (`patched`,
 * `proxyLocalActivities`, `workflowInfo`, the clock) find the current run through the activator when
 * they are called, not when the module is loaded. Module scope holds constants, Update and Signal
 * definitions, activity proxies, and two memo caches of pure functions: compiled patterns
 * (core/answers/regex.ts) and timezone formatters (core/answers/zoned.ts). A cache hit and a miss give
 * the same answer, so sharing them cannot change a replay. Date parsing takes the reference wall clock
 * of each parse as an argument, never the system clock.
 */
export const WORKFLOW_BUNDLER_OPTIONS = {
  preloadModules: [require.resolve('../workflows')],
};
